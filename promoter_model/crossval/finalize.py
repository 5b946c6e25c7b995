"""Finalise a family-split cross-validated ensemble once all its members are trained.

``finalize_ensemble(out, k)`` runs when ``out/members/fold-0 .. fold-(k-1)`` are complete
run folders and ``out/split.tsv.gz`` says which rows each was selected on
(``scripts/make_demo_ensemble.py`` writes the split, trains the members, then calls it):

1. The split (``pos, family, fold``; :func:`promoter_model.families.dream.demo_split`):
   ``fold`` ``i`` rows selected member ``i`` and trained the others; ``test`` rows are
   whole families none of them saw. It is checked: no family on two sides.
2. Member ``i`` predicts its own fold (out-of-fold, OOF) and the test rows, on both strands.
3. Reverse-complement averaging is kept only if it raises the OOF Pearson r.
4. The conformal calibration (:mod:`promoter_model.uncertainty`) is fitted on the OOF
   predictions, which are family-out-of-fold: no near copy of an OOF row was trained on,
   as none is for a new sequence. Its difference intervals are fitted on OOF pairs 1-3
   bases apart (both rows of a pair are in one family, so one member predicts both), by
   edit size and size of the predicted change.
5. The ensemble and every member are scored on the test families
   (:mod:`promoter_model.crossval.score`): the challenge's scores per subset and the
   interval's coverage per subset and by distance to the training pool.
6. Written with :func:`promoter_model.runs.write_ensemble`, all checksummed:
   ``metrics.json``, ``calibration.json``, ``oof.tsv.gz`` (``pos, family, fold, measured,
   prediction``), ``test.tsv.gz`` (the test rows' predictions, intervals and distances:
   what the scores were computed from), ``novelty.npy`` (the pool's sequences, for every
   later prediction's distance to training) and ``MODEL_CARD.md``.

Idempotent: the same members give the same files. Members' predictions are cached (as
``.npz``, no pickles) in ``cache`` when given, so an interrupted finalisation resumes.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd

from .. import atomic, dream
from ..families.dream import all_subsets, split_subsets
from ..families.group import near_copy_pairs, variable_regions
from ..families.novelty import NoveltyIndex, pack_regions
from ..families.split import check_family_split
from ..metrics import regression_metrics
from ..sequence import SEQ_LEN, encode_fitted
from ..uncertainty import count_mismatches, fit_calibration, fit_differences
from .score import REPORT_LEVELS, family_scores, interval_report

UNIT = "MAUDE-normalised expression"
__all__ = ["REPORT_LEVELS", "UNIT", "finalize_ensemble", "reverse_complement_codes",
           "store_public_predictions", "write_table"]


def reverse_complement_codes(codes) -> np.ndarray:
    """Base codes (0-3, 4 = N) of the reverse-complement strand."""
    codes = np.asarray(codes)
    return np.where(codes < 4, 3 - codes, 4).astype(np.uint8)[:, ::-1]


def _member_predictions(run_dir: Path, sets: dict, batch_size, cache, name) -> dict:
    """Forward and reverse-strand predictions of a member for each code set
    (``{key: codes}`` -> ``{key_fwd, key_rc}``), cached as ``name.npz``.
    """
    from ..model.predict import predict_codes
    from ..records.fs import sha256_file
    from ..runs.run import load_run

    file = None if cache is None else Path(cache) / f"{name}.npz"
    member = sha256_file(Path(run_dir) / "checksums.json")  # a retrained member is new
    if file is not None and file.is_file():
        with np.load(file, allow_pickle=False) as z:
            if str(z["member"]) == member and all(
                    f"{key}_fwd" in z.files and z[f"{key}_fwd"].shape == (len(codes),)
                    for key, codes in sets.items()):
                return {key: z[key] for key in z.files if key != "member"}
    model = load_run(run_dir).model
    out = {}
    for key, codes in sets.items():
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


def write_table(path: Path, table: pd.DataFrame) -> None:
    """A ``.tsv.gz`` table, byte-identical for identical content (gzip mtime 0)."""
    text = table.to_csv(sep="\t", index=False, float_format="%.6f")
    atomic.write_bytes(path, gzip.compress(text.encode(), mtime=0))


def _checked_split(out: Path, df: pd.DataFrame, k: int) -> pd.DataFrame:
    """The ensemble's ``split.tsv.gz``, checked against the test table and ``k``."""
    from ..runs.ensemble import SPLIT_FILE

    path = out / SPLIT_FILE
    if not path.is_file():
        raise ValueError(f"{out}: {SPLIT_FILE} is missing; the members' split is unknown")
    split = pd.read_csv(path, sep="\t", dtype={"fold": str})
    if list(split.columns) != ["pos", "family", "fold"] or not np.array_equal(
            split["pos"].to_numpy(), df["pos"].to_numpy()):
        raise ValueError(f"{path}: must list pos, family, fold for every row of the test "
                         "table, in order")
    folds = set(split["fold"])
    if folds != {str(i) for i in range(k)} | {"test"}:
        raise ValueError(f"{path}: folds {sorted(folds)} are not 0..{k - 1} and test")
    check_family_split(split["family"].to_numpy(), split["fold"].to_numpy())
    return split


def record_member_split(member: Path, i: int, split: pd.DataFrame) -> dict:
    """Write into member ``i``'s ``metrics.json`` the family split it was trained on.

    Its data folder was prepared from three files made from the split (train: the other
    folds; validation: fold ``i``; test: the test families), so ``prepare`` could only
    record that the rows came from files. Idempotent; written through the gate with the
    member's checksums (:func:`promoter_model.runs.ensemble.save_metrics`). Returns the
    record.
    """
    from ..runs.ensemble import SPLIT_FILE, save_metrics
    from ..runs.run import read_metrics

    fold = split["fold"].to_numpy().astype(str)
    val, test = fold == str(i), fold == "test"
    k = len(set(fold) - {"test"})
    record = {"method": "family", "file": f"../../{SPLIT_FILE}", "k": k, "fold": i,
              "rows": {"train": int((~val & ~test).sum()), "validation": int(val.sum()),
                       "test": int(test.sum())},
              "note": f"trained on the other folds, selected on fold {i}; the test "
                      "families are scored only"}
    metrics = read_metrics(member)
    if metrics.get("split") != record:
        save_metrics(member, {**metrics, "split": record})
    return record


def _oof_pairs(codes, fold, pool):
    """Pool row pairs 1-3 bases apart within one fold, and their mismatch counts."""
    idx = np.flatnonzero(pool)
    pairs = idx[near_copy_pairs(variable_regions(codes[idx]), 3)]
    pairs = pairs[fold[pairs[:, 0]] == fold[pairs[:, 1]]]
    return pairs, count_mismatches(codes[pairs[:, 0]], codes[pairs[:, 1]])


def finalize_ensemble(out, k: int = 5, test_path=dream.TEST_FILE, *, batch_size: int = 1024,
                      n_bins: int = 10, min_per_bin: int = 500, level: float = 0.9,
                      cache=None, unit: str = UNIT, notes: str = "", previous: dict | None = None,
                      subsets: dict | None = None, min_pairs: int = 100,
                      progress=None) -> dict:
    """Score, calibrate and write the ensemble folder ``out`` from its ``k`` members.

    Parameters
    ----------
    out : path
        Ensemble folder holding ``split.tsv.gz`` and ``members/fold-0`` ...
        ``members/fold-{k-1}``.
    k : int
        Number of folds (= members).
    test_path : path
        The DREAM test table whose rows the split names.
    batch_size : int
    n_bins, min_per_bin : int
        Calibration bins (:func:`promoter_model.uncertainty.fit_calibration`).
    level : float
        The interval level reported per subset.
    cache : path, optional
        Folder for members' predictions (resumable); None: no cache.
    unit, notes : str
        Written to ``ensemble.json``.
    previous : dict, optional
        Scores of an earlier ensemble to quote as a labelled footnote (``label``,
        ``pearson_score``, ``pearson_r2_all``, ``data``).
    subsets : dict, optional
        The challenge's subsets of every row (default: the DREAM files,
        :func:`promoter_model.families.dream.all_subsets`).
    min_pairs : int
        Pairs an edit size needs for a calibrated difference interval.
    progress : callable, optional
        Called with one-line messages.

    Returns
    -------
    dict
        The ensemble's ``metrics.json``.

    Raises
    ------
    ValueError
        A member is missing or incomplete, or the split is missing or inconsistent.
    """
    from ..predictor import load_ensemble
    from ..runs.ensemble import NOVELTY_FILE, TEST_FILE, write_ensemble
    from ..runs.run import RunError, check_run, read_metrics
    from .card import render

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
    split = _checked_split(out, df, k)
    for i, member in enumerate(members):  # its metrics name the split, not "files"
        record_member_split(member, i, split)
    fold = split["fold"].to_numpy()
    test, pool = fold == "test", fold != "test"
    codes = encode_fitted(df["sequence"].tolist(), SEQ_LEN)[0]
    y = df["expression"].to_numpy(np.float64)

    oof = {"fwd": np.full(len(df), np.nan), "rc": np.full(len(df), np.nan)}
    test_preds = {"fwd": [], "rc": []}
    for i, member in enumerate(members):
        say(f"member {i}: predicting fold {i} and the test families")
        rows = fold == str(i)
        p = _member_predictions(member, {"oof": codes[rows], "test": codes[test]},
                                batch_size, cache, f"fold-{i}")
        oof["fwd"][rows] = p["oof_fwd"]
        oof["rc"][rows] = (p["oof_fwd"] + p["oof_rc"]) / 2
        test_preds["fwd"].append(p["test_fwd"])
        test_preds["rc"].append((p["test_fwd"] + p["test_rc"]) / 2)

    oof_scores = {key: regression_metrics(y[pool], oof[key][pool]) for key in ("fwd", "rc")}
    rc = bool(oof_scores["rc"]["pearson_r"] > oof_scores["fwd"]["pearson_r"])
    key = "rc" if rc else "fwd"
    say(f"reverse-complement averaging: OOF Pearson r {oof_scores['fwd']['pearson_r']:.4f} "
        f"(forward) vs {oof_scores['rc']['pearson_r']:.4f} (both strands): "
        f"{'used' if rc else 'not used'}")
    oof_data = (f"family-out-of-fold predictions of the {int(pool.sum())} pool rows (every "
                f"row not in a test family), each by the member selected on its fold, which "
                f"trained on no row of its family; {unit}")
    calibration = fit_calibration(y[pool], oof[key][pool], n_bins=n_bins,
                                  min_per_bin=min_per_bin,
                                  info={"data": oof_data, "k": k, "rc_average": rc,
                                        "split": "family"})
    pairs, mism = _oof_pairs(codes, fold, pool)
    a, b = pairs[:, 0], pairs[:, 1]
    calibration.differences = fit_differences(
        y[a], y[b], oof[key][a], oof[key][b], mism, calibration.levels, min_pairs=min_pairs,
        n_bins=n_bins, min_per_bin=min_per_bin,
        info={"data": f"{len(pairs)} pairs of pool rows 1-3 bases apart, both rows "
                      "predicted by the member that trained on neither (one family, one "
                      f"fold); {unit}"})
    groups = calibration.differences
    say("difference intervals: pairs by edit size " + ", ".join(
        f"{m}: {c} in {e.size + 1} bins of the predicted change"
        for m, c, e in zip(groups.mismatches.tolist(), groups.counts.tolist(), groups.edges)))

    member_test = np.stack(test_preds[key])
    mean, sd = member_test.mean(axis=0), member_test.std(axis=0)
    subsets = split_subsets(all_subsets(df) if subsets is None else subsets, test)
    index = NoveltyIndex(pack_regions(variable_regions(codes[pool])))
    distance, _ = index.nearest(codes[test])
    test_data = (f"held-out test families of {Path(test_path).name}: {int(test.sum())} rows "
                 f"in {split.loc[test, 'family'].nunique()} families, none of whose rows was "
                 f"trained, selected or calibrated on; {unit}")
    interval = interval_report(y, mean, sd, test, calibration, subsets, codes, distance,
                               level)
    interval["data"] = test_data
    member_metrics = {}
    for i, member in enumerate(members):
        rows = fold == str(i)
        member_metrics[member.name] = {
            "test_families": family_scores(y, member_test[i], test, subsets, test_data),
            "oof": regression_metrics(y[rows], oof[key][rows]),
            "build": read_metrics(member).get("build", {})}
    fam = split["family"].to_numpy()
    metrics = {
        "unit": unit,
        "test_families": family_scores(y, mean, test, subsets, test_data),
        "interval": interval,
        "oof": {**regression_metrics(y[pool], oof[key][pool]), "data": oof_data},
        "rc_average": {"used": rc, "oof_forward": oof_scores["fwd"],
                       "oof_both_strands": oof_scores["rc"],
                       "rule": "used if it raises the OOF Pearson r"},
        "members": member_metrics,
        "calibration": {k_: calibration.info[k_] for k_ in ("method", "n", "n_bins")},
        "split": {"method": "family", "families": int(np.unique(fam).size),
                  "largest_family": int(np.bincount(fam).max()),
                  "test_rows": int(test.sum()),
                  "test_families": int(np.unique(fam[test]).size),
                  "fold_rows": [int((fold == str(i)).sum()) for i in range(k)],
                  "test_distance_to_pool": {"min": int(distance.min()),
                                            "median": float(np.median(distance))}},
        "build": {"k": k, "n_pool": int(pool.sum()), "n_test": int(test.sum())},
    }
    if previous:
        metrics["previous"] = previous
    write_table(out / "oof.tsv.gz", pd.DataFrame({
        "pos": df["pos"].to_numpy()[pool], "family": fam[pool], "fold": fold[pool],
        "measured": y[pool], "prediction": oof[key][pool]}))
    lower, upper = calibration.interval(mean, level)
    write_table(out / TEST_FILE, pd.DataFrame({
        "pos": df["pos"].to_numpy()[test], "measured": y[test], "prediction": mean, "sd": sd,
        "lower": lower, "upper": upper, "nearest_train_mismatches": distance}))
    buffer = io.BytesIO()
    np.save(buffer, index.packed, allow_pickle=False)
    atomic.write_bytes(out / NOVELTY_FILE, buffer.getvalue())
    card = render(metrics, calibration, level)
    write_ensemble(out, members, unit=unit, rc_average=rc,
                   notes=notes or (f"{k}-fold cross-validated ensemble split by family; "
                                   "member i selected on family fold i; test families "
                                   "held out"),
                   metrics=metrics, model_card=card, calibration=calibration)
    load_ensemble(out)  # what was written loads, checksums and all
    say(f"ensemble written to {out}")
    return metrics


def store_public_predictions(out, test_path=dream.TEST_FILE, batch_size: int = 1024,
                             progress=None) -> Path:
    """Add ``public.tsv.gz`` to an ensemble split by hash before it was written (older
    ensembles, scored on the public-leaderboard rows).

    Predicts the public rows through the ensemble (each member on both strands where it
    averages them; mean and sd over members), writes the file and adds it to
    ``checksums.json``; every other file must match its checksum first.

    Returns
    -------
    Path
        The file written.
    """
    import json

    from ..predictor import load_ensemble
    from ..records.fs import sha256_file
    from ..runs.ensemble import PUBLIC_FILE
    from ..sequence import codes_to_one_hot

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
