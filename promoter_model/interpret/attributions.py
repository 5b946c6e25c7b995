"""Attribution maps: gradient x input, integrated gradients, SHAP, and a dispatcher.

This is the only module of the engine with TensorFlow-specific code (``tf.GradientTape``
and shap's TensorFlow ``GradientExplainer``); everything else is backend-agnostic Keras 3.
shap's ``DeepExplainer`` is deliberately not offered: it does not support the reference
model's MultiHeadAttention, LSTM, LayerNormalization or GELU (shap issues 3605, 1490).

Shapes: ``X`` is ``(n, L, 4)`` one-hot (A, C, G, T); every method returns ``(n, L, 4)``.
:func:`attribution` returns the ``(L, 4)`` matrix a sequence logo shows: each position's
contribution placed at its observed base, zero elsewhere.
"""

from __future__ import annotations

import collections
import threading
import warnings
import weakref

import numpy as np

from ..model.predict import input_length
from ..sequence import SEQ_LEN, as_batch

METHODS = ("ism", "gradient_x_input", "integrated_gradients", "shap")

_GRADIENTS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()
# shap explainers hold the model strongly, so they live in a small bounded cache instead
_EXPLAINERS: "collections.OrderedDict" = collections.OrderedDict()
_MAX_EXPLAINERS = 4


def _length(model) -> int:
    if hasattr(model, "input_length"):  # a Predictor
        return int(model.input_length)
    if hasattr(model, "members") or not hasattr(model, "input_shape"):
        model = _keras_models(model)[0][0]
    return input_length(model)


def _as_batch(model, X) -> np.ndarray:
    return as_batch(X, _length(model))


def _keras_models(model):
    """The Keras models behind ``model`` and whether to average both strands.

    A bare Keras model is itself; a :class:`~promoter_model.predictor.Predictor` or a run
    gives its members' models (gradient methods average over them) and its
    ``rc_average`` setting.
    """
    if hasattr(model, "input_shape") and callable(model):
        return [model], False
    from ..predictor import as_predictor

    pred = as_predictor(model)
    return pred.models, bool(pred.rc_average)


def _member_mean(model, X, per_model) -> np.ndarray:
    """Mean over members of ``per_model(keras_model, X)``; both strands when the predictor
    averages them (the reverse strand's map is reverse-complemented back onto ``X``).
    """
    models, rc = _keras_models(model)
    total = np.zeros(X.shape, dtype=np.float64)
    for m in models:
        total += per_model(m, X)
        if rc:
            total += per_model(m, X[:, ::-1, ::-1].copy())[:, ::-1, ::-1]
    return (total / (len(models) * (2 if rc else 1))).astype(np.float32)


def center(scores) -> np.ndarray:
    """Subtract the mean over the four bases at each position.

    Parameters
    ----------
    scores : np.ndarray, shape (..., L, 4)

    Returns
    -------
    np.ndarray, shape (..., L, 4)
        Sums to zero over the last axis. Applied to gradients it removes the component that
        leaves the one-hot simplex (Majdandzic et al. 2023), which is noise for DNA models.
    """
    s = np.asarray(scores, dtype=np.float32)
    return s - s.mean(axis=-1, keepdims=True)


def _gradient_fn(model):
    """A compiled ``x -> (d sum(f(x)) / dx, f(x))`` for the model, cached per model."""
    import tensorflow as tf

    with _LOCK:
        fn = _GRADIENTS.get(model)
        if fn is None:
            ref = weakref.ref(model)  # the cache must not keep the model alive

            @tf.function(input_signature=[tf.TensorSpec([None, _length(model), 4], tf.float32)])
            def fn(x):
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    out = tf.reshape(ref()(x, training=False), [tf.shape(x)[0], -1])[:, 0]
                    total = tf.reduce_sum(out)
                return tape.gradient(total, x), out

            _GRADIENTS[model] = fn
        return fn


def gradients(model, X, batch_size: int = 256) -> np.ndarray:
    """Gradient of the predicted expression with respect to the one-hot input.

    Parameters
    ----------
    model : keras.Model, Predictor or Run
        For a predictor with several members, the mean of their gradients (the gradient of
        the ensemble's mean prediction); with ``rc_average`` both strands are averaged.
    X : np.ndarray, shape (n, L, 4), or list of str
    batch_size : int

    Returns
    -------
    np.ndarray, shape (n, L, 4), float32
    """
    X = _as_batch(model, X)
    if len(X) == 0:
        return np.zeros_like(X)

    def one(m, x):
        fn = _gradient_fn(m)
        return np.concatenate([np.asarray(fn(x[a:a + batch_size])[0])
                               for a in range(0, len(x), batch_size)])

    return _member_mean(model, X, one)


def gradient_x_input(model, X, centered: bool = True, batch_size: int = 256) -> np.ndarray:
    """Gradient x input (saliency at the observed bases).

    Parameters
    ----------
    model : keras.Model, Predictor or Run
    X : np.ndarray, shape (n, L, 4), or list of str
    centered : bool
        Mean-centre the gradients over the four bases first (see :func:`center`).
    batch_size : int

    Returns
    -------
    np.ndarray, shape (n, L, 4), float32
        Non-zero only at observed bases.
    """
    X = _as_batch(model, X)
    g = gradients(model, X, batch_size=batch_size)
    return (center(g) if centered else g) * X


def integrated_gradients(model, X, baseline=None, steps: int = 32,
                         batch_size: int = 512) -> np.ndarray:
    """Integrated gradients (Sundararajan et al. 2017), midpoint rule.

    Parameters
    ----------
    model : keras.Model, Predictor or Run
        Several members: the mean of their path gradients (IG of the mean prediction).
    X : np.ndarray, shape (n, L, 4), or list of str
    baseline : None, "uniform", or np.ndarray of shape (L, 4) or (n, L, 4)
        Reference input. None: all zeros, i.e. an all-``N`` sequence (how the model sees
        padding); ``"uniform"``: 0.25 everywhere.
    steps : int
        Points on the straight path from the baseline to each sequence.
    batch_size : int
        Path points per gradient call.

    Returns
    -------
    np.ndarray, shape (n, L, 4), float32
        ``(x - baseline) * mean path gradient``; sums (over positions and bases) to about
        ``f(x) - f(baseline)`` (completeness), closer with more ``steps``.
    """
    X = _as_batch(model, X)
    n = len(X)
    if baseline is None:
        base = np.zeros_like(X)
    elif isinstance(baseline, str):
        if baseline != "uniform":
            raise ValueError(f"unknown baseline {baseline!r}; use None, 'uniform' or an array")
        base = np.full_like(X, 0.25)
    else:
        base = np.broadcast_to(np.asarray(baseline, dtype=np.float32), X.shape)
    alphas = ((np.arange(steps) + 0.5) / steps).astype(np.float32)
    per = max(1, batch_size // steps)

    def path_gradients(m, x_all):  # mean gradient along the path; x_all is X or its rc
        fn = _gradient_fn(m)
        b_all = base if x_all is X else base[:, ::-1, ::-1]
        out = np.zeros_like(x_all)
        for a in range(0, n, per):
            x, b = x_all[a:a + per], b_all[a:a + per]
            path = b[:, None] + alphas[None, :, None, None] * (x - b)[:, None]  # (m,steps,L,4)
            g = np.asarray(fn(path.reshape(-1, *X.shape[1:]))[0]).reshape(path.shape)
            out[a:a + per] = g.mean(axis=1)
        return out

    return _member_mean(model, X, path_gradients) * (X - base)


def random_background(n: int = 32, length: int = SEQ_LEN, seed: int = 0) -> np.ndarray:
    """Random uniform one-hot sequences (seeded), shape (n, length, 4)."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, size=(n, length))
    return np.eye(4, dtype=np.float32)[codes]


def dinucleotide_shuffle(x, rng) -> np.ndarray:
    """A shuffle of a one-hot sequence that keeps its dinucleotide counts (Altschul-Erickson).

    Parameters
    ----------
    x : np.ndarray, shape (L, 4)
        Without ``N``.
    rng : np.random.Generator

    Returns
    -------
    np.ndarray, shape (L, 4)
    """
    seq = np.asarray(x).argmax(axis=-1)
    L = len(seq)
    if L < 3:
        return np.asarray(x).copy()
    last = seq[-1]
    # edges of the Eulerian path; pick a random last-edge arborescence, then shuffle others
    succ = [list(seq[1:][seq[:-1] == b]) for b in range(4)]
    present = [b for b in range(4) if b in seq]
    while True:
        last_edge = {}
        for b in present:
            if b != last and succ[b]:
                last_edge[b] = succ[b][rng.integers(len(succ[b]))]
        # check every vertex reaches `last` via the chosen last edges
        ok = True
        for b in last_edge:
            seen, v = set(), b
            while v != last:
                if v in seen or v not in last_edge:
                    ok = False
                    break
                seen.add(v)
                v = last_edge[v]
            if not ok:
                break
        if ok:
            break
    order = {}
    for b in range(4):
        rest = list(succ[b])
        if b in last_edge:
            rest.remove(last_edge[b])
        rest = [rest[i] for i in rng.permutation(len(rest))]
        if b in last_edge:
            rest.append(last_edge[b])
        order[b] = rest
    out = [seq[0]]
    ptr = {b: 0 for b in range(4)}
    for _ in range(L - 1):
        v = out[-1]
        out.append(order[v][ptr[v]])
        ptr[v] += 1
    return np.eye(4, dtype=np.float32)[np.array(out)]


def shap_values(model, X, background=None, nsamples: int = 64, n_background: int = 32,
                seed: int = 0, batch_size: int | None = None) -> np.ndarray:
    """Expected-gradients SHAP values with ``shap.GradientExplainer``.

    Parameters
    ----------
    model : Predictor, Run or keras.Model
        TensorFlow backend; a predictor's members are explained one by one and averaged
        (both strands when it averages strands), as for the gradient methods.
    X : np.ndarray, shape (n, L, 4), or list of str
    background : np.ndarray, shape (m, L, 4), or "dinucleotide", optional
        Reference sequences. Default: ``n_background`` random uniform sequences (seeded);
        ``"dinucleotide"``: dinucleotide shuffles of the first sequence of ``X``.
    nsamples : int
        Background/path samples per sequence (the cost: one gradient batch per sequence).
    n_background : int
    seed : int
        Seeds both the background and shap's sampling, so results are reproducible.
    batch_size : int, optional
        Gradient batch; default ``nsamples`` (one traced shape, no re-tracing).

    Returns
    -------
    np.ndarray, shape (n, L, 4), float32
        Raw SHAP values ``E[grad * (x - background)]``: non-zero at non-observed bases too
        (the background's bases). Their sum over bases is each position's contribution;
        the total approximates ``f(x) - E[f(background)]``.
    """
    try:
        with warnings.catch_warnings():  # shap's colour maps use deprecated matplotlib calls
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            import shap
    except ImportError as exc:  # pragma: no cover - shap is a dependency
        raise RuntimeError("shap is not installed (pip install shap)") from exc
    import keras

    if keras.backend.backend() != "tensorflow":
        raise RuntimeError("SHAP attributions need the TensorFlow backend")
    X = _as_batch(model, X)
    L = X.shape[1]
    if background is None:
        background = random_background(n_background, L, seed)
    elif isinstance(background, str):
        if background != "dinucleotide":
            raise ValueError(f"unknown background {background!r}")
        rng = np.random.default_rng(seed)
        background = np.stack([dinucleotide_shuffle(X[0], rng) for _ in range(n_background)])
    background = np.asarray(background, dtype=np.float32)
    batch = batch_size or nsamples

    def one(m, X):
        key = (id(m), background.shape, hash(background.tobytes()), batch)
        with _LOCK:
            explainer = _EXPLAINERS.get(key)
            if explainer is None or explainer.explainer.model is not m:
                explainer = shap.GradientExplainer(m, background, batch_size=batch)
                _EXPLAINERS[key] = explainer
                while len(_EXPLAINERS) > _MAX_EXPLAINERS:
                    _EXPLAINERS.popitem(last=False)
            _EXPLAINERS.move_to_end(key)
        with warnings.catch_warnings():
            # shap passes the input as a one-element list; Keras 3 warns about the structure
            warnings.filterwarnings("ignore", message="The structure of `inputs`")
            state = np.random.get_state()  # shap reseeds numpy's global generator
            try:
                phi = explainer.shap_values(X, nsamples=nsamples, rseed=seed)
            finally:
                np.random.set_state(state)
        phi = np.asarray(phi[0] if isinstance(phi, list) else phi, dtype=np.float32)
        return phi[..., 0] if phi.ndim == 4 else phi  # (n, L, 4, outputs): a (batch, 1) output

    return _member_mean(model, X, one)


def attribution(model, x, method: str = "ism", **kwargs) -> np.ndarray:
    """One sequence's contribution map, as a logo shows it.

    Parameters
    ----------
    model : Predictor, Run or keras.Model
        An ensemble gives the members' mean map.
    x : np.ndarray, shape (L, 4), or str
    method : {"ism", "gradient_x_input", "integrated_gradients", "shap"}
    **kwargs
        Passed to the method (e.g. ``steps``, ``baseline``, ``nsamples``).

    Returns
    -------
    np.ndarray, shape (L, 4), float32
        Hypothetical-to-actual contributions: the value at each position's observed base,
        zero at the other three (and at ``N``). ``ism``: minus the mean change of the three
        substitutions (how much the observed base adds over the alternatives);
        ``gradient_x_input``: centred gradient at the observed base;
        ``integrated_gradients`` and ``shap``: the position's attribution summed over bases.
    """
    X = _as_batch(model, x)
    if len(X) != 1:
        raise ValueError("attribution takes one sequence; use the method functions for more")
    if method == "ism":
        from .ism import ism
        from .ism_summary import logo_matrix

        return logo_matrix(ism(model, X[0], **kwargs)[0][0], X[0])
    if method == "gradient_x_input":
        return gradient_x_input(model, X, **kwargs)[0]
    if method == "integrated_gradients":
        ig = integrated_gradients(model, X, **kwargs)[0]
        return ig.sum(axis=-1, keepdims=True) * X[0]
    if method == "shap":
        phi = shap_values(model, X, **kwargs)[0]
        return phi.sum(axis=-1, keepdims=True) * X[0]
    raise ValueError(f"unknown attribution method {method!r}; choose one of "
                     f"{', '.join(METHODS)}")
