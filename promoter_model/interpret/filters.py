"""First-layer filters: weights, activations, activation PFMs, influence, and their cache.

The first layer is :func:`promoter_model.model.architectures.first_conv_layer`: a
:class:`~promoter_model.model.layers.ReverseComplementConv1D` (kernel ``(k, 4, F)``, no bias,
``same`` padding, forward strand used here) or a plain ``Conv1D`` (kernel ``(k, 4, F)``,
its own padding and bias). Activations are the raw convolution, before batch norm and the
non-linearity.

``compute_motifs`` runs everything once per run and caches it under ``RUN_DIR/motifs/``
(``filters.npz`` without pickle, JSON tables, ``meta.json`` last); ``load_motifs`` reads it
back, or returns None when the cache is missing or was made for another ``model.keras``.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from ..model.architectures import first_conv_layer
from ..model.layers import ReverseComplementConv1D
from ..model.predict import predict
from ..motifs.pfm import counts_to_pfm, information_content
from ..motifs.store import model_checksum
from ..runs import gate

CACHE_DIR = "motifs"
CACHE_VERSION = 1


def _first_layer(model):
    layer = first_conv_layer(model)
    kernel = np.asarray(keras.ops.convert_to_numpy(layer.kernel), dtype=np.float32)
    if kernel.ndim != 3 or kernel.shape[1] != 4:
        raise ValueError(f"first layer {layer.name!r} has kernel shape {kernel.shape}; "
                         "expected (k, 4, filters) over one-hot DNA")
    return layer, kernel


def _layout(layer, k: int):
    """Padding mode (``same``/``valid``), left padding, bias (or None) of the first layer."""
    if isinstance(layer, ReverseComplementConv1D):
        return "same", (k - 1) // 2, None
    if getattr(layer, "strides", (1,)) not in ((1,), 1) or \
            getattr(layer, "dilation_rate", (1,)) not in ((1,), 1):
        raise ValueError(f"first layer {layer.name!r} uses strides or dilation; "
                         "filter windows are only defined for stride 1, dilation 1")
    padding = str(layer.padding).lower()
    if padding not in ("same", "valid"):
        raise ValueError(f"first layer padding {layer.padding!r} is not supported")
    bias = None
    if getattr(layer, "use_bias", False) and layer.bias is not None:
        bias = np.asarray(keras.ops.convert_to_numpy(layer.bias), dtype=np.float32)
    return padding, ((k - 1) // 2 if padding == "same" else 0), bias


def filter_weights(model) -> np.ndarray:
    """First-layer kernels, one matrix per filter.

    Parameters
    ----------
    model : keras.Model

    Returns
    -------
    np.ndarray, shape (F, k, 4), float32
        ``weights[f, i, b]``: weight of base ``b`` at kernel position ``i`` of filter ``f``.
    """
    return np.ascontiguousarray(_first_layer(model)[1].transpose(2, 0, 1))


def _windows(X, k: int, left: int, padding: str) -> np.ndarray:
    """Input window under each output position, shape (n, L_out, k, 4) (a view)."""
    X = np.asarray(X, dtype=np.float32)
    if padding == "same":
        X = np.pad(X, ((0, 0), (left, k - 1 - left), (0, 0)))
    win = np.lib.stride_tricks.sliding_window_view(X, k, axis=1)  # (n, L_out, 4, k)
    return win.transpose(0, 1, 3, 2)


def filter_activations(model, X, batch_size: int = 1024) -> np.ndarray:
    """Forward-strand first-layer activations (raw convolution plus bias, before BN).

    Parameters
    ----------
    model : keras.Model
    X : np.ndarray, shape (n, L, 4)
    batch_size : int

    Returns
    -------
    np.ndarray, shape (n, L_out, F), float32
        ``L_out = L`` for ``same`` padding (the reference models), ``L - k + 1`` for
        ``valid``. Position ``l`` covers input positions ``l - left .. l - left + k - 1``
        with ``left = (k - 1) // 2`` for ``same`` and 0 for ``valid``.
    """
    layer, kernel = _first_layer(model)
    k = kernel.shape[0]
    padding, left, bias = _layout(layer, k)
    X = np.asarray(X, dtype=np.float32)
    W = kernel.reshape(k * 4, -1)
    out = []
    for a in range(0, len(X), batch_size):
        win = _windows(X[a:a + batch_size], k, left, padding)
        n, L_out = win.shape[:2]
        act = np.ascontiguousarray(win).reshape(n * L_out, k * 4) @ W
        out.append(act.reshape(n, L_out, -1))
    act = np.concatenate(out) if out else np.zeros((0, X.shape[1], kernel.shape[2]), np.float32)
    return act + bias if bias is not None else act


def activation_pfms(model, X, threshold: float = 0.5, batch_size: int = 1024):
    """Position frequency matrices of the subsequences that activate each filter.

    For each filter, every window of ``X`` whose activation exceeds ``threshold`` times the
    filter's maximum activation over ``X`` is counted (windows overhanging the sequence end
    count nothing at the overhang; ``N`` counts nothing).

    Parameters
    ----------
    model : keras.Model
    X : np.ndarray, shape (n, L, 4)
        Reference sequences.
    threshold : float
        Fraction of the maximum activation, in (0, 1].
    batch_size : int

    Returns
    -------
    pfms : np.ndarray, shape (F, k, 4), float64
        Probabilities per position (uniform where a filter has no site or never activates
        above 0).
    counts : np.ndarray, shape (F,), int64
        Number of windows counted per filter.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    layer, kernel = _first_layer(model)
    k, _, F = kernel.shape
    padding, left, _ = _layout(layer, k)
    X = np.asarray(X, dtype=np.float32)
    act = filter_activations(model, X, batch_size=batch_size)  # (n, L_out, F)
    top = act.max(axis=(0, 1)) if act.size else np.zeros(F, np.float32)
    cutoff = np.where(top > 0, threshold * top, np.inf)
    freq = np.zeros((F, k, 4), dtype=np.float64)
    counts = np.zeros(F, dtype=np.int64)
    for a in range(0, len(X), batch_size):
        mask = (act[a:a + batch_size] >= cutoff).astype(np.float32)  # (n, L_out, F)
        win = _windows(X[a:a + batch_size], k, left, padding)  # (n, L_out, k, 4)
        freq += np.einsum("nlf,nlkc->fkc", mask, win, optimize=True)
        counts += mask.sum(axis=(0, 1)).astype(np.int64)
    return counts_to_pfm(freq), counts


def weights_to_pfm(weights, background=0.25) -> np.ndarray:
    """Read kernels as log-odds: ``p ∝ background * exp(w)`` per position.

    Parameters
    ----------
    weights : np.ndarray, shape (..., k, 4)

    Returns
    -------
    np.ndarray, shape (..., k, 4)
    """
    w = np.asarray(weights, dtype=np.float64)
    e = np.exp(w - w.max(axis=-1, keepdims=True)) * background
    return e / e.sum(axis=-1, keepdims=True)


def _pearson(a, b) -> float:
    """Pearson r; 0 when either side is constant (an ablation that flattens everything)."""
    a = np.asarray(a, np.float64) - np.mean(a)
    b = np.asarray(b, np.float64) - np.mean(b)
    d = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / d) if d > 1e-12 else 0.0


def filter_influence(model, X, y=None, batch_size: int = 1024) -> pd.DataFrame:
    """Effect of zeroing each first-layer filter on the predictions.

    One clone of the model is made; each filter's kernel is zeroed in it in turn (the
    original model is never modified, so it is safe while other threads predict).

    Parameters
    ----------
    model : keras.Model
    X : np.ndarray, shape (n, L, 4)
    y : np.ndarray, shape (n,), optional
        Measured expression; gives ``r_drop``.
    batch_size : int

    Returns
    -------
    pd.DataFrame
        Columns ``filter`` (0-based), ``mean_abs_change`` (mean |prediction change|),
        ``mean_change`` (signed), ``r_drop`` (Pearson r of the full model with ``y`` minus
        that of the ablated model, taking r = 0 for constant predictions; NaN without
        ``y``). Sorted by filter.
    """
    X = np.asarray(X, dtype=np.float32)
    layer = first_conv_layer(model)
    kernel = np.asarray(keras.ops.convert_to_numpy(layer.kernel), dtype=np.float32)
    F = kernel.shape[-1]
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    clone_layer = clone.get_layer(layer.name)
    base = predict(model, X, batch_size=batch_size)
    r_base = _pearson(base, y) if y is not None else float("nan")
    rows = []
    for f in range(F):
        k = kernel.copy()
        k[..., f] = 0.0
        clone_layer.kernel.assign(k)
        pred = predict(clone, X, batch_size=batch_size)
        d = pred - base
        r_drop = r_base - _pearson(pred, y) if y is not None else float("nan")
        rows.append((f, float(np.abs(d).mean()), float(d.mean()), r_drop))
    return pd.DataFrame(rows, columns=["filter", "mean_abs_change", "mean_change", "r_drop"])


# --------------------------------------------------------------------------- run cache
def compute_motifs(run_dir, X_ref, y_ref=None, threshold: float = 0.5, *, model=None,
                   release: str = "JASPAR2024", top: int = 3, n_null: int = 100,
                   influence: bool = True, batch_size: int = 1024,
                   cache_dir=None, reference: str = "") -> dict:
    """Compute and cache the first-layer filter analysis of a run.

    Writes ``run_dir/motifs/`` (and nothing else): ``filters.npz`` (``weights``,
    ``pfms``, ``weight_pfms``, ``counts``, ``information_content``, ``max_activation``;
    plain arrays, no pickle), ``influence.json``, ``matches.json`` and, last,
    ``meta.json`` (settings and the sha256 of the ``model.keras`` they describe).

    Parameters
    ----------
    run_dir : str or Path
    X_ref : np.ndarray, shape (n, L, 4)
        Reference sequences for activation PFMs and influence.
    y_ref : np.ndarray, shape (n,), optional
        Their measured expression (gives ``r_drop``).
    threshold : float
        Activation fraction of each filter's maximum (see :func:`activation_pfms`).
    model : keras.Model, optional
        The run's model if already loaded (else loaded with :func:`runs.load_run`).
    release : str
        JASPAR release for matching.
    top : int
        JASPAR matches kept per filter.
    n_null : int
        Shuffled queries per filter for match p-values.
    influence : bool
        Compute :func:`filter_influence` (the slow part: one prediction pass per filter).
    cache_dir : str or Path, optional
        Write the cache there instead of ``run_dir/motifs`` (the dashboard never writes
        into a run folder).
    reference : str
        What ``X_ref`` is (source, sample, seed), recorded in ``meta.json``.

    Returns
    -------
    dict
        As :func:`load_motifs`.
    """
    from ..motifs.jaspar import jaspar_fungi_motifs, match_all
    from ..runs.run import load_run

    run_dir = Path(run_dir)
    out = Path(cache_dir) if cache_dir is not None else run_dir / CACHE_DIR
    if cache_dir is not None:  # the caller's own cache (the app's), not a run folder
        out.mkdir(parents=True, exist_ok=True)
    gate.check_folder_for_writing(out, root=None if cache_dir is not None else run_dir)
    if model is None:
        model = load_run(run_dir).model
    X_ref = np.asarray(X_ref, dtype=np.float32)
    if X_ref.ndim != 3 or len(X_ref) == 0:
        raise ValueError(f"reference sequences must have shape (n, L, 4), got {X_ref.shape}")
    weights = filter_weights(model)
    pfms, counts = activation_pfms(model, X_ref, threshold=threshold, batch_size=batch_size)
    act = filter_activations(model, X_ref, batch_size=batch_size)
    ic = information_content(pfms)
    if influence:
        infl = filter_influence(model, X_ref, y_ref, batch_size=batch_size)
    else:
        infl = pd.DataFrame({"filter": np.arange(len(weights)),
                             "mean_abs_change": np.nan, "mean_change": np.nan,
                             "r_drop": np.nan})
    matches = match_all(pfms, jaspar_fungi_motifs(release), top=top, n_null=n_null)
    matches = matches.rename(columns={"query": "filter"})
    no_sites = counts[matches["filter"].to_numpy()] == 0
    matches.loc[no_sites, ["p_value", "q_value"]] = 1.0

    buf = io.BytesIO()
    np.savez(buf, weights=weights.astype(np.float32), pfms=pfms.astype(np.float64),
             weight_pfms=weights_to_pfm(weights), counts=counts.astype(np.int64),
             information_content=ic.astype(np.float64),
             max_activation=act.max(axis=(0, 1)).astype(np.float64))
    gate.write_bytes(out, "filters.npz", buf.getvalue(), root=run_dir)
    gate.write_json(out, "influence.json", _records(infl), root=run_dir)
    gate.write_json(out, "matches.json", _records(matches), root=run_dir)
    meta = {"version": CACHE_VERSION, "model_sha256": model_checksum(run_dir),
            "threshold": float(threshold), "n_reference": int(len(X_ref)),
            "reference": str(reference),
            "has_expression": y_ref is not None, "release": release, "top": int(top),
            "n_null": int(n_null), "filters": int(len(weights)),
            "kernel_size": int(weights.shape[1]),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    gate.write_json(out, "meta.json", meta, root=run_dir)
    return load_motifs(run_dir, cache_dir=cache_dir)


def _records(df: pd.DataFrame) -> list:
    """JSON-safe rows (NaN -> None)."""
    return json.loads(df.to_json(orient="records"))


def load_motifs(run_dir, check_model: bool = True, cache_dir=None) -> dict | None:
    """Read the cache written by :func:`compute_motifs`.

    Parameters
    ----------
    run_dir : str or Path
    check_model : bool
        Return None if the cache was computed for a different ``model.keras``.
    cache_dir : str or Path, optional
        Read the cache from there instead of ``run_dir/motifs``.

    Returns
    -------
    dict or None
        ``weights`` (F, k, 4), ``pfms`` (F, k, 4), ``weight_pfms`` (F, k, 4), ``counts``
        (F,), ``information_content`` (F, k), ``max_activation`` (F,), ``influence``
        (DataFrame), ``matches`` (DataFrame with ``filter``, ``rank``, ``id``, ``name``,
        ``score``, ``offset``, ``strand``, ``p_value``, ``q_value``), ``meta`` (dict).
        None when there is no complete, current cache.
    """
    d = Path(cache_dir) if cache_dir is not None else Path(run_dir) / CACHE_DIR
    names = ("meta.json", "filters.npz", "influence.json", "matches.json")
    if d.is_symlink() or any((d / n).is_symlink() for n in names):
        return None  # never follow a link out of a run folder
    try:
        meta = gate.read_json(d, "meta.json")
        if meta.get("version") != CACHE_VERSION:
            return None
        if check_model and meta.get("model_sha256") != model_checksum(run_dir):
            return None
        with np.load(io.BytesIO(gate.read_bytes(d, "filters.npz")), allow_pickle=False) as z:
            arrays = {name: z[name] for name in z.files}
        influence = pd.DataFrame(gate.read_json(d, "influence.json", list))
        matches = pd.DataFrame(gate.read_json(d, "matches.json", list))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError, ValueError,
            KeyError, OSError):
        return None
    for col in ("mean_abs_change", "mean_change", "r_drop"):
        if col in influence:
            influence[col] = influence[col].astype(float)
    return {**arrays, "influence": influence, "matches": matches, "meta": meta}
