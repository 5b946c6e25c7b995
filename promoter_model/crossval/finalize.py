"""Finalise a cross-validated ensemble once all its members are trained.

``finalize_ensemble(out, k)`` runs when ``out/members/fold-0 .. fold-(k-1)`` are complete
run folders (``scripts/make_demo_ensemble.py`` calls it after its member loop):

1. The training pool (``public_leaderboard == 0``) is split into the same ``k`` hash folds
   as training used (``records.split_of(codes, seed, fold=(i, k))``). Pool rows whose
   sequence equals a public-leaderboard sequence were excluded from training by
   ``prepare`` and are excluded here too: the public rows are never calibrated on.
2. Member ``i`` predicts its own fold (out-of-fold, OOF) and the public rows, on both
   strands.
3. Reverse-complement averaging is kept only if it raises the OOF Pearson r; both OOF
   scores are recorded.
4. The conformal calibration (:mod:`promoter_model.uncertainty.calibration`) is fitted on the OOF
   predictions.
5. The ensemble (member mean) and every member are scored on the public leaderboard
   (challenge scores per subset) with the interval's coverage per subset; everything is
   written with :func:`promoter_model.runs.ensemble.write_ensemble`: ``metrics.json``,
   ``calibration.json``, ``oof.tsv.gz`` (``pos``, ``sequence_hash``, ``fold``,
   ``measured``, ``prediction``), ``public.tsv.gz`` (``pos``, ``measured``, ``prediction``,
   ``sd`` of the public rows: what the scores were computed from, so the dashboard shows
   them without predicting again) and ``MODEL_CARD.md``, all checksummed.

Idempotent: the same members give the same files. Members' predictions are cached (as
``.npz``, no pickles) in ``cache`` when given, so an interrupted finalisation resumes.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd

from .. import atomic, dream
from ..metrics import dream_scores, regression_metrics
from ..records import hash_codes, split_of
from ..sequence import SEQ_LEN, codes_to_one_hot, encode_fitted
from ..uncertainty.calibration import fit_calibration
from ..uncertainty.intervals import coverage, subset_coverage

UNIT = "MAUDE-normalised expression"
REPORT_LEVELS = (0.5, 0.8, 0.9, 0.95, 0.99)


def pool_folds(codes, k: int, seed: int = 0) -> np.ndarray:
    """Fold index (0..k-1) of each pool row, exactly as ``records.prepare`` assigned it."""
    fold = np.full(len(codes), -1, dtype=np.int64)
    for i in range(k):
        fold[split_of(codes, seed, test_fraction=0.0, fold=(i, k)) == 1] = i
    return fold


def reverse_complement_codes(codes) -> np.ndarray:
    """Base codes (0-3, 4 = N) of the reverse-complement strand."""
    codes = np.asarray(codes)
    return np.where(codes < 4, 3 - codes, 4).astype(np.uint8)[:, ::-1]


def _member_predictions(run_dir: Path, pool_codes, public_codes, batch_size, cache, name):
    """Forward and reverse-strand predictions of a member, cached as ``name.npz``."""
    from ..model.predict import predict_codes
    from ..records.fs import sha256_file
    from ..runs.run import load_run

    file = None if cache is None else Path(cache) / f"{name}.npz"
    member = sha256_file(Path(run_dir) / "checksums.json")  # a retrained member is new
    if file is not None and file.is_file():
        with np.load(file, allow_pickle=False) as z:
            if (str(z["member"]) == member and z["pool_fwd"].shape == (len(pool_codes),)
                    and z["public_fwd"].shape == (len(public_codes),)):
                return {key: z[key] for key in z.files if key != "member"}
    model = load_run(run_dir).model
    out = {}
    for key, codes in (("pool", pool_codes), ("public", public_codes)):
        out[f"{key}_fwd"] = predict_codes(model, codes, batch_size=batch_size).astype(
            np.float64)
        out[f"{key}_rc"] = predict_codes(model, reverse_complement_codes(codes),
                                         batch_size=batch_size).astype(np.float64)
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(".tmp.npz")
        np.savez(tmp, member=np.array(member), **out)
        tmp.replace(file)
    return out


def _public_scores(df, public, pred, subsets) -> dict:
    """Challenge scores of ``pred`` (public rows only) against the test table."""
    y = df["expression"].to_numpy(np.float64)
    full = np.full(len(df), np.nan)
    full[public] = pred
    out = regression_metrics(y[public], pred)
    out.update(dream_scores(y, full, subsets))
    out["data"] = (f"DREAM 2022 public-leaderboard test set: {int(public.sum())} sequences "
                   f"with public_leaderboard == 1; {UNIT}")
    return out


def _preset(run_dir: Path) -> str:
    """The architecture preset a member's ``config.json`` names."""
    import json

    return str(json.loads((run_dir / "config.json").read_text()).get("preset", "n/a"))


def write_table(path: Path, table: pd.DataFrame) -> None:
    """A ``.tsv.gz`` table, byte-identical for identical content (gzip mtime 0)."""
    text = table.to_csv(sep="\t", index=False, float_format="%.6f")
    atomic.write_bytes(path, gzip.compress(text.encode(), mtime=0))


def finalize_ensemble(out, k: int = 5, test_path=dream.TEST_FILE,
                      subsets_path=dream.SUBSETS_FILE, *, seed: int = 0,
                      batch_size: int = 1024, n_bins: int = 10, min_per_bin: int = 500,
                      level: float = 0.9, cache=None, unit: str = UNIT,
                      notes: str = "", progress=None) -> dict:
    """Score, calibrate and write the ensemble folder ``out`` from its ``k`` members.

    Parameters
    ----------
    out : path
        Ensemble folder holding ``members/fold-0`` ... ``members/fold-{k-1}``.
    k : int
        Number of folds (= members).
    test_path, subsets_path : path
        The DREAM test table (pool and public rows) and the public subsets.
    seed : int
        Hash seed the folds were drawn with (``records.prepare(seed=...)``).
    batch_size : int
    n_bins, min_per_bin : int
        Calibration bins (:func:`promoter_model.uncertainty.calibration.fit_calibration`).
    level : float
        The interval level reported per subset.
    cache : path, optional
        Folder for members' predictions (resumable); None: no cache.
    unit, notes : str
        Written to ``ensemble.json``.
    progress : callable, optional
        Called with one-line messages.

    Returns
    -------
    dict
        The ensemble's ``metrics.json``.

    Raises
    ------
    ValueError
        A member is missing or incomplete.
    """
    from ..predictor import load_ensemble
    from ..runs.ensemble import PUBLIC_FILE, write_ensemble
    from ..runs.run import RunError, check_run, read_metrics
    from . import card as ensemble_card

    say = progress or (lambda msg: None)
    out = Path(out)
    members = [out / "members" / f"fold-{i}" for i in range(k)]
    missing = []
    for m in members:
        try:
            check_run(m)
        except RunError as exc:
            missing.append(f"{m.name} ({exc})")
    if missing:
        raise ValueError(f"{out}: cannot finalise the ensemble; incomplete members: "
                         + "; ".join(missing))
    df = dream.load_test_table(test_path)
    subsets = dream.load_subsets(subsets_path)
    public = df["public_leaderboard"].to_numpy() == 1
    codes = encode_fitted(df["sequence"].tolist(), SEQ_LEN)[0]
    pool_idx = np.flatnonzero(~public)
    pool_codes, public_codes = codes[pool_idx], codes[public]
    hashes = hash_codes(pool_codes, seed)
    fold = pool_folds(pool_codes, k, seed)
    excluded = np.isin(hashes, hash_codes(public_codes, seed))
    y_pool = df["expression"].to_numpy(np.float64)[pool_idx]

    oof = {"fwd": np.full(len(pool_idx), np.nan), "rc": np.full(len(pool_idx), np.nan)}
    public_preds = {"fwd": [], "rc": []}
    for i, member in enumerate(members):
        say(f"member {i}: predicting fold {i} and the public rows")
        rows = np.flatnonzero(fold == i)
        p = _member_predictions(member, pool_codes[rows], public_codes, batch_size, cache,
                                f"fold-{i}")
        oof["fwd"][rows] = p["pool_fwd"]
        oof["rc"][rows] = (p["pool_fwd"] + p["pool_rc"]) / 2
        public_preds["fwd"].append(p["public_fwd"])
        public_preds["rc"].append((p["public_fwd"] + p["public_rc"]) / 2)

    cal_rows = ~excluded & np.isfinite(y_pool)
    oof_scores = {key: regression_metrics(y_pool[cal_rows], oof[key][cal_rows])
                  for key in ("fwd", "rc")}
    rc = bool(oof_scores["rc"]["pearson_r"] > oof_scores["fwd"]["pearson_r"])
    key = "rc" if rc else "fwd"
    say(f"reverse-complement averaging: OOF Pearson r {oof_scores['fwd']['pearson_r']:.4f} "
        f"(forward) vs {oof_scores['rc']['pearson_r']:.4f} (both strands): "
        f"{'used' if rc else 'not used'}")
    oof_data = (f"out-of-fold predictions of the {int(cal_rows.sum())} training-pool rows "
                f"(public_leaderboard == 0; {int(excluded.sum())} rows whose sequence is "
                f"also a public-leaderboard sequence left out), each by the member that "
                f"was selected on its fold; {unit}")
    calibration = fit_calibration(y_pool[cal_rows], oof[key][cal_rows], n_bins=n_bins,
                                  min_per_bin=min_per_bin,
                                  info={"data": oof_data, "k": k, "rc_average": rc})

    member_pub = np.stack(public_preds[key])
    mean, sd = member_pub.mean(axis=0), member_pub.std(axis=0)
    y_all = df["expression"].to_numpy(np.float64)
    mean_full, sd_full = np.full(len(df), np.nan), np.full(len(df), np.nan)
    mean_full[public], sd_full[public] = mean, sd
    lo, hi = calibration.interval(mean, level)
    by_level = {}
    for lv in REPORT_LEVELS:
        a, b = calibration.interval(mean, lv)
        by_level[f"{lv:g}"] = coverage(y_all[public], a, b)
    interval = subset_coverage(y_all, mean_full, calibration, subsets, level, sd=sd_full)
    interval["all_levels"] = by_level
    interval["extrapolating"] = int(calibration.extrapolating(mean).sum())
    interval["data"] = "public-leaderboard rows (never calibrated on)"

    member_metrics = {}
    for i, member in enumerate(members):
        rows = cal_rows & (fold == i)
        own = read_metrics(member)
        member_metrics[member.name] = {
            "dream_public_leaderboard": _public_scores(df, public, member_pub[i], subsets),
            "oof": regression_metrics(y_pool[rows], oof[key][rows]),
            "build": own.get("build", {})}
    metrics = {
        "unit": unit,
        "dream_public_leaderboard": _public_scores(df, public, mean, subsets),
        "interval": interval,
        "oof": {**regression_metrics(y_pool[cal_rows], oof[key][cal_rows]),
                "data": oof_data},
        "rc_average": {"used": rc, "oof_forward": oof_scores["fwd"],
                       "oof_both_strands": oof_scores["rc"],
                       "rule": "used if it raises the OOF Pearson r"},
        "members": member_metrics,
        "calibration": {k_: calibration.info[k_] for k_ in ("method", "n", "n_bins")},
        "build": {"k": k, "fold_seed": seed, "preset": _preset(members[0]),
                  "n_pool": int(len(pool_idx)),
                  "n_public": int(public.sum()), "n_excluded": int(excluded.sum())},
    }
    oof_table = pd.DataFrame({
        "pos": df["pos"].to_numpy()[pool_idx],
        "sequence_hash": np.char.mod("%016x", hashes.astype(np.uint64)),
        "fold": fold, "measured": y_pool, "prediction": oof[key],
        "calibrated": cal_rows.astype(np.int8)})
    write_table(out / "oof.tsv.gz", oof_table)
    write_table(out / PUBLIC_FILE, pd.DataFrame({
        "pos": df["pos"].to_numpy()[public], "measured": y_all[public], "prediction": mean,
        "sd": sd}))
    card = ensemble_card.render(metrics, calibration, level)
    write_ensemble(out, members, unit=unit, rc_average=rc,
                   notes=notes or (f"{k}-fold cross-validated ensemble; member i selected "
                                   "on hash fold i of the training pool"),
                   metrics=metrics, model_card=card, calibration=calibration)
    load_ensemble(out)  # what was written loads, checksums and all
    say(f"ensemble written to {out}")
    return metrics


def store_public_predictions(out, test_path=dream.TEST_FILE, batch_size: int = 1024,
                             progress=None) -> Path:
    """Add ``public.tsv.gz`` to an ensemble finalised before it was written.

    Predicts the public rows through the ensemble as :func:`finalize_ensemble` does (each
    member on both strands where it averages them; mean and sd over members), writes the
    file and adds it to ``checksums.json``; every other file must match its checksum first.

    Returns
    -------
    Path
        The file written.
    """
    from ..predictor import load_ensemble
    from ..records.fs import sha256_file
    from ..runs.ensemble import PUBLIC_FILE

    say = progress or (lambda msg: None)
    out = Path(out)
    pred = load_ensemble(out)
    df = dream.load_test_table(test_path)
    public = df["public_leaderboard"].to_numpy() == 1
    codes = encode_fitted(df.loc[public, "sequence"].tolist(), SEQ_LEN)[0]
    say(f"predicting the {int(public.sum())} public rows through {len(pred.members)} members")
    members = pred.predict_members(codes_to_one_hot(codes), batch_size=batch_size)
    write_table(out / PUBLIC_FILE, pd.DataFrame({
        "pos": df["pos"].to_numpy()[public],
        "measured": df["expression"].to_numpy(np.float64)[public],
        "prediction": members.mean(axis=0), "sd": members.std(axis=0)}))
    sums = json.loads((out / "checksums.json").read_text())
    sums[PUBLIC_FILE] = sha256_file(out / PUBLIC_FILE)
    atomic.write_json(out / "checksums.json", sums)
    say(f"wrote {out / PUBLIC_FILE}")
    return out / PUBLIC_FILE
