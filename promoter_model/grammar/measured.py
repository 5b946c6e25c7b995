"""The model's grammar against the measured grammar of the DREAM designed experiments.

The DREAM test set holds two grammar experiments as pairs of sequences (``alt`` with a
designed change, ``ref`` its background), tagged by what was done:

* ``motif_tiling`` (2,653 pairs): a motif written at every start of three backgrounds, on
  both strands: ``rand311_Mot3.RC_5`` is background ``rand311``, motif ``Mot3`` reverse
  complemented (``.RC``), at 0-based start 5 of the 80 bp variable region;
* ``motif_perturbation`` (3,527 pairs): REB1 sites (strong ``.s`` or medium ``.m``) with
  mutated bases (``rand466_Reb1.s.RC_0A.1A_20``: bases 0 and 1 of the site set to A, site at
  20), and HSF1 monomer/trimer sites at one place (``rand74_Hsf1mono.16``) or the ``k``
  from the left or right end (``rand74_Hsf1tri.3L``).

:func:`parse_tags` reads the tags; :func:`pair_effects` gives each pair's measured and
predicted ``alt - ref``; :func:`measured_vs_predicted` the agreement per motif.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..dream import ASSETS, load_test_table

EXPERIMENTS = ("motif_tiling", "motif_perturbation")
PAIR_COLUMNS = ["alt_tag", "ref_tag", "alt_pos", "ref_pos"]
#: The columns of :func:`measured_vs_predicted`.
COLUMNS = ["experiment", "motif", "n", "r", "spearman", "coverage", "mean_width"]

_SITE = (r"^(?P<background>[^_]+)_(?P<motif>[^_.]+?)(?:\.(?P<variant>[sm]))?"
         r"(?P<rc>\.RC)?(?:_(?P<edit>\d+[ACGT](?:\.\d+[ACGT])*))?_(?P<position>\d+)$")
_ARRAY = (r"^(?P<background>[^_]+)_(?P<motif>[A-Za-z]+\d+)(?P<variant>mono|tri)\."
          r"(?:(?P<sites>\d+)(?P<side>[LR])|(?P<position>\d+))$")


def load_pairs(experiments=EXPERIMENTS) -> pd.DataFrame:
    """The pairs of the DREAM grammar experiments shipped with the package.

    Returns
    -------
    pd.DataFrame
        ``experiment`` and :data:`PAIR_COLUMNS` (``alt_pos``/``ref_pos`` are rows of the
        test table, ``promoter_model/data/test_measured.tsv.gz``, by ``pos``).
    """
    parts = [pd.read_csv(ASSETS / "test_subsets" / f"{e}_seqs.csv").assign(experiment=e)
             for e in ([experiments] if isinstance(experiments, str) else experiments)]
    return pd.concat(parts, ignore_index=True)[["experiment"] + PAIR_COLUMNS]


def parse_tags(tags) -> pd.DataFrame:
    """What each alt tag says was done.

    Parameters
    ----------
    tags : sequence of str

    Returns
    -------
    pd.DataFrame
        One row per tag: ``background``, ``motif`` (``Reb1``, ``Hsf1``, ``Mot3``,
        ``polyA`` ...; the text after the background when the tag has another form),
        ``variant`` (``s``/``m`` REB1 strength, ``mono``/``tri`` HSF1; else empty),
        ``strand`` (``-`` for ``.RC``, else ``+``), ``position`` (0-based start in the
        variable region, or NA), ``edit`` (mutated site bases, ``0A.1A``; else empty),
        ``sites`` and ``side`` (HSF1 arrays: ``k`` sites from the ``L`` or ``R`` end; else
        NA and empty).
    """
    s = pd.Series(list(tags), dtype=object).astype(str)
    a, b = s.str.extract(_SITE), s.str.extract(_ARRAY)
    use_b = a["motif"].isna() & b["motif"].notna()
    out = pd.DataFrame(index=s.index)
    for col in ("background", "motif", "variant", "position"):
        out[col] = a[col].where(~use_b, b[col])
    fallback = s.str.split("_", n=1)
    out["background"] = out["background"].fillna(fallback.str[0])
    out["motif"] = out["motif"].fillna(fallback.str[1].fillna(""))
    out["variant"] = out["variant"].fillna("")
    out["strand"] = np.where(a["rc"].notna() & ~use_b, "-", "+")
    out["position"] = pd.to_numeric(out["position"]).astype("Int64")
    out["edit"] = a["edit"].where(~use_b).fillna("")
    out["sites"] = pd.to_numeric(b["sites"].where(use_b)).astype("Int64")
    out["side"] = b["side"].where(use_b).fillna("")
    return out


def _per_pos(predictions, column: str):
    """``pos -> value`` Series of a predictions table (None when the column is absent)."""
    if isinstance(predictions, pd.Series):
        return predictions.astype(float) if column == "prediction" else None
    if isinstance(predictions, pd.DataFrame):
        if column not in predictions:
            return None
        return predictions.set_index("pos")[column].astype(float)
    if column != "prediction":
        return None
    return pd.Series(np.asarray(predictions, dtype=np.float64))  # indexed by pos


def pair_effects(pairs_table, predictions, measured=None) -> pd.DataFrame:
    """Measured and predicted ``alt - ref`` of every pair.

    Parameters
    ----------
    pairs_table : pd.DataFrame
        :data:`PAIR_COLUMNS` (and optionally ``experiment``), e.g. :func:`load_pairs`.
    predictions : pd.DataFrame, pd.Series or array
        A table with ``pos`` and ``prediction`` and optionally ``sd``, ``lower``,
        ``upper`` (one row per test sequence); a Series indexed by ``pos``; or an array
        indexed by ``pos`` (NaN: not predicted).
    measured : pd.DataFrame, optional
        ``pos`` and ``expression`` (default: the DREAM test table).

    Returns
    -------
    pd.DataFrame
        The pairs with the :func:`parse_tags` columns, ``measured``, ``predicted`` and,
        when given per sequence, ``sd`` (``sqrt(sd_alt^2 + sd_ref^2)``: exact for
        independent errors, an upper bound when the members err alike on both) and
        ``lower``, ``upper`` (``lower_alt - upper_ref``, ``upper_alt - lower_ref``: with
        each sequence's interval at level ``1 - a/2`` the difference's covers at least
        ``1 - a``, the Bonferroni rule of ``Calibration.difference_interval``).
    """
    pairs = pairs_table.reset_index(drop=True)
    missing = [c for c in PAIR_COLUMNS if c not in pairs]
    if missing:
        raise ValueError(f"the pairs table lacks {', '.join(missing)}")
    measured = load_test_table() if measured is None else measured
    expr = measured.set_index("pos")["expression"].astype(float)
    alt, ref = pairs["alt_pos"].to_numpy(), pairs["ref_pos"].to_numpy()
    out = pd.concat([pairs, parse_tags(pairs["alt_tag"])], axis=1)
    out["measured"] = expr.reindex(alt).to_numpy() - expr.reindex(ref).to_numpy()
    yhat = _per_pos(predictions, "prediction")
    out["predicted"] = yhat.reindex(alt).to_numpy() - yhat.reindex(ref).to_numpy()
    sd = _per_pos(predictions, "sd")
    if sd is not None:
        out["sd"] = np.hypot(sd.reindex(alt).to_numpy(), sd.reindex(ref).to_numpy())
    lo, hi = _per_pos(predictions, "lower"), _per_pos(predictions, "upper")
    if lo is not None and hi is not None:
        out["lower"] = lo.reindex(alt).to_numpy() - hi.reindex(ref).to_numpy()
        out["upper"] = hi.reindex(alt).to_numpy() - lo.reindex(ref).to_numpy()
    return out


def agreement(measured, predicted, lower=None, upper=None) -> dict:
    """``n``, Pearson ``r``, ``spearman``, interval ``coverage`` and ``mean_width`` of the
    finite pairs (r NaN below 3 pairs or without spread; coverage NaN without intervals).
    """
    y, f = np.asarray(measured, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    ok = np.isfinite(y) & np.isfinite(f)
    out = {"n": int(ok.sum()), "r": np.nan, "spearman": np.nan, "coverage": np.nan,
           "mean_width": np.nan}
    if ok.sum() >= 3 and np.ptp(y[ok]) > 0 and np.ptp(f[ok]) > 0:
        out["r"] = float(np.corrcoef(y[ok], f[ok])[0, 1])
        ranks = [pd.Series(v).rank().to_numpy() for v in (y[ok], f[ok])]
        out["spearman"] = float(np.corrcoef(*ranks)[0, 1])
    if lower is not None and upper is not None:
        lo, hi = np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)
        inside = ok & np.isfinite(lo) & np.isfinite(hi)
        if inside.any():
            out["coverage"] = float(np.mean((y[inside] >= lo[inside])
                                            & (y[inside] <= hi[inside])))
            out["mean_width"] = float(np.mean(hi[inside] - lo[inside]))
    return out


def measured_vs_predicted(pairs_table, predictions, measured=None,
                          by=("experiment", "motif")) -> pd.DataFrame:
    """Per motif: how well predicted ``alt - ref`` follows the measured one.

    Parameters
    ----------
    pairs_table, predictions, measured
        As for :func:`pair_effects`. Pairs listed twice (same ``alt_pos`` and ``ref_pos``)
        count once.
    by : sequence of str
        Columns of :func:`pair_effects` to group by (``experiment`` is left out when the
        pairs table has none); each experiment also gets a row ``motif == "all"``.

    Returns
    -------
    pd.DataFrame
        :data:`COLUMNS`: per group ``n`` (pairs with both values), ``r`` (Pearson),
        ``spearman``, ``coverage`` (share of measured differences inside the interval;
        NaN without intervals) and ``mean_width``.
    """
    pairs = pair_effects(pairs_table, predictions, measured)
    pairs = pairs.drop_duplicates(subset=["alt_pos", "ref_pos"]).reset_index(drop=True)
    if "experiment" not in pairs:
        pairs["experiment"] = ""
    by = list(by)
    rows = []

    def add(key, g):
        lo, hi = (g["lower"], g["upper"]) if "lower" in g else (None, None)
        rows.append({**key, **agreement(g["measured"], g["predicted"], lo, hi)})

    for values, g in pairs.groupby(by, sort=True):
        add(dict(zip(by, values if isinstance(values, tuple) else (values,))), g)
    if "motif" in by:
        for e, g in pairs.groupby("experiment", sort=True):
            add({"experiment": e, "motif": "all"}, g)
    df = pd.DataFrame(rows)
    keys = [c for c in by if c not in ("experiment", "motif")]
    df = df.sort_values(["experiment", "motif"] if "motif" in by else by, kind="stable")
    return df[[c for c in ["experiment", "motif", *keys] if c in df] + COLUMNS[2:]] \
        .reset_index(drop=True)
