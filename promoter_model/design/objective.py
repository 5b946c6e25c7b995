"""Design promoters toward a target expression: a few edits, within constraints.

Arrays in, a table out. Given a start sequence (or a random background between the plasmid
flanks), an objective (reach a target, maximise or minimise the prediction) and
:class:`~promoter_model.design.constraints.Constraints`, :func:`design` proposes edited
sequences with greedy ISM-guided substitution, beam search or a genetic algorithm
(:mod:`promoter_model.design.search`), seeded and deterministic.

Everything is scored through a :class:`~promoter_model.predictor.Predictor`, so a single run
and an ensemble work alike. With an ensemble the search optimises the mean minus
``uncertainty`` times the members' standard deviation (designs stay where the members
agree), each design gets a 90% interval: the conformal one of ``calibration.json`` when the
ensemble is calibrated (:mod:`promoter_model.uncertainty.intervals`), else ``mean ± 1.645 sd``
(uncalibrated), and
:func:`held_out_check` designs with all members but one and scores with the one left out.

A design is a hypothesis for the bench: a sequence a model trained on one condition predicts
to express as asked, not a measured promoter (``docs/design.md``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import bounds
from ..predictor import Predictor
from ..sequence import (
    FLANK_3,
    FLANK_5,
    SEQ_LEN,
    VARIABLE_LEN,
    codes_to_one_hot,
    describe_fit,
    encode_fitted,
)
from . import search as design_search
from .constraints import Constraints, start_violations
from .gain import with_gain

STRATEGIES = ("greedy", "beam", "genetic")
OBJECTIVES = ("target", "maximize", "minimize")
Z90 = 1.6448536269514722  # two-sided 90% normal interval
_LETTERS = np.array(list("ACGTN"))
#: Most designs one call returns; candidates per design searched with a minimum distance.
MAX_DESIGNS = 100
OVERSAMPLE = 4
TABLE_COLUMNS = ["id", "sequence", "prediction", "sd", "lower", "upper", "n_mutations",
                 "mutations", "score", "reached"]


@dataclass
class Objective:
    """What the search optimises.

    Attributes
    ----------
    kind : {"target", "maximize", "minimize"}
    target : float or None
        The expression to reach (``kind="target"``), in the predictor's unit.
    tolerance : float
        A prediction within ``tolerance`` of the target counts as reaching it.
    uncertainty : float
        With an ensemble, the score is penalised by this multiple of the members' sd.
    """

    kind: str = "maximize"
    target: float | None = None
    tolerance: float = 0.1
    uncertainty: float = 1.0

    def __post_init__(self):
        if self.kind not in OBJECTIVES:
            raise ValueError(f"objective {self.kind!r}: choose target, maximize or minimize")
        if self.kind == "target" and (self.target is None or not np.isfinite(self.target)):
            raise ValueError("a target objective needs a finite target value")
        if self.kind == "target":
            bounds.finite("the target", self.target)
        bounds.finite("the tolerance", self.tolerance, lo=0.0)
        bounds.finite("the uncertainty weight", self.uncertainty, lo=0.0)

    def score(self, mean, sd):
        """Higher is better: the (penalised) distance to the goal, sign-adjusted."""
        mean = np.asarray(mean, dtype=np.float64)
        pen = self.uncertainty * np.asarray(sd) if sd is not None else 0.0
        if self.kind == "maximize":
            return mean - pen
        if self.kind == "minimize":
            return -mean - pen
        return -np.maximum(np.abs(mean - self.target) - self.tolerance, 0.0) - pen

    def reached(self, mean):
        """For a target: within the tolerance (NaN-free bool array); else None."""
        if self.kind != "target":
            return None
        return np.abs(np.asarray(mean) - self.target) <= self.tolerance + 1e-12


@dataclass
class DesignResult:
    """The designs and how they were found.

    Attributes
    ----------
    table : pd.DataFrame
        The start (``id="start"``) then the designs, best first: ``id, sequence, prediction,
        sd, lower, upper, n_mutations, mutations, score, reached`` (``sd``, ``lower``,
        ``upper`` empty for a single run; ``reached`` empty unless the objective is a target).
    trajectories : pd.DataFrame
        One row per design and step: ``id, step, mutation, sequence, prediction, sd, lower,
        upper`` (step 0 is the start).
    notes : list of str
        What was done to the input and which constraints the start already breaks.
    seconds : float
    evaluations : int
        Sequences scored.
    """

    table: pd.DataFrame
    trajectories: pd.DataFrame
    start: str
    objective: Objective
    strategy: str
    unit: str
    notes: list = field(default_factory=list)
    seconds: float = 0.0
    evaluations: int = 0

    @property
    def designs(self) -> pd.DataFrame:
        """The table without the start's row."""
        return self.table[self.table["id"] != "start"].reset_index(drop=True)


def random_start(rng, length: int = SEQ_LEN) -> str:
    """Return a random background: 80 random bases between the plasmid flanks (110 bp)."""
    n = VARIABLE_LEN if length == SEQ_LEN else length
    core = np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, n)].tobytes().decode()
    return FLANK_5 + core + FLANK_3 if length == SEQ_LEN else core


def decode_codes(codes: np.ndarray) -> list:
    """Strings from base codes ``(n, L)`` (4 is ``N``)."""
    codes = np.asarray(codes)
    if codes.size == 0:
        return [""] * len(codes)
    return ["".join(r) for r in _LETTERS[codes].tolist()]


def mutation_labels(codes: np.ndarray, start: np.ndarray) -> list:
    """``"23A>G;57C>T"`` per design: 1-based positions where it differs from the start."""
    rows, cols = np.nonzero(codes != start[None])
    text = np.char.add(np.char.add((cols + 1).astype(str), _LETTERS[start[cols]]),
                       np.char.add(">", _LETTERS[codes[rows, cols]]))
    bounds = np.searchsorted(rows, np.arange(len(codes) + 1))
    return [";".join(text[a:b].tolist()) for a, b in zip(bounds[:-1], bounds[1:])]


class _Scorer:
    """Scores code batches through the predictor, counting evaluations."""

    def __init__(self, predictor: Predictor, objective: Objective, batch_size: int):
        self.predictor, self.objective, self.batch_size = predictor, objective, batch_size
        self.evaluations = 0

    def predict(self, codes):
        mean, sd = self.predictor.predict(codes_to_one_hot(np.asarray(codes)),
                                          batch_size=self.batch_size)
        self.evaluations += len(codes)
        return mean, sd

    def __call__(self, codes):
        mean, sd = self.predict(codes)
        return self.objective.score(mean, sd), mean, sd


def _interval(mean, sd, predictor=None):
    """``(sd, lower, upper)``: the calibrated 90% interval when the predictor has a
    calibration (``uncertainty.interval_from_mean``), else ``mean ± 1.645 sd``.
    """
    if getattr(predictor, "calibration", None) is not None:
        from ..uncertainty.intervals import interval_from_mean

        iv = interval_from_mean(predictor, np.asarray(mean, np.float64), sd, 0.9)
        sd = np.full(np.shape(mean), np.nan) if sd is None else sd
        return sd, iv.lower, iv.upper
    if sd is None:
        nan = np.full(np.shape(mean), np.nan)
        return nan, nan, nan
    return sd, mean - Z90 * sd, mean + Z90 * sd


def _trajectories(scorer, start_codes, codes, paths, ids) -> pd.DataFrame:
    """Predictions along each design's path of steps (one predictor call for all)."""
    seqs, meta = [], []
    for ident, path in zip(ids, paths):
        cur = start_codes.copy()
        seqs.append(cur.copy())
        meta.append((ident, 0, "start"))
        for step, (pos, base) in enumerate(path, start=1):
            label = f"{pos + 1}{_LETTERS[cur[pos]]}>{_LETTERS[base]}"
            cur[pos] = base
            seqs.append(cur.copy())
            meta.append((ident, step, label))
    if not seqs:
        return pd.DataFrame(columns=["id", "step", "mutation", "sequence", "prediction", "sd",
                                     "lower", "upper"])
    arr = np.stack(seqs)
    mean, sd = scorer.predict(arr)
    sd, lo, hi = _interval(mean, sd, scorer.predictor)
    df = pd.DataFrame(meta, columns=["id", "step", "mutation"])
    df["sequence"] = decode_codes(arr)
    df["prediction"], df["sd"], df["lower"], df["upper"] = mean, sd, lo, hi
    return df


def prepare_start(start, length: int, rng):
    """Return the fitted start as codes, and the note saying what fitting did (or None)."""
    if start is None:
        text = random_start(rng, length)
        return encode_fitted([text], length)[0][0].astype(np.int64), (
            "random background: 80 random bases between the plasmid flanks"
            if length == SEQ_LEN else f"random background of {length} bp")
    codes, change = encode_fitted([start], length)
    note = describe_fit(int(change[0]), length)
    return codes[0].astype(np.int64), (f"the start ({len(start)} bp) was {note}"
                                       if note else None)


def design(predictor: Predictor, start: str | None = None, *,
           objective: Objective | None = None, constraints: Constraints | None = None,
           strategy: str = "greedy", n_designs: int = 5, seed: int = 0,
           beam_width: int | None = None, population: int = 64, generations: int = 20,
           batch_size: int = 1024, progress=None, min_distance: int = 1) -> DesignResult:
    """Propose edited sequences that move the prediction toward the objective.

    Parameters
    ----------
    predictor : Predictor
        A run or an ensemble (:func:`promoter_model.predictor.load_predictor`).
    start : str or None
        The start sequence, fitted to the model length (``sequence.fit_to_length``); None
        for a seeded random background between the plasmid flanks.
    objective : Objective, default maximize
    constraints : Constraints, default a budget of 5 mutations
    strategy : {"greedy", "beam", "genetic"}
    n_designs : int
        Distinct designs returned (fewer when fewer exist), at most :data:`MAX_DESIGNS`.
    seed : int
        Seeds the random start and the genetic algorithm (greedy and beam are exact).
    beam_width, population, generations : int
        Beam width (default ``2 * n_designs``); GA population and generations.
    batch_size : int
    progress : callable, optional
        ``progress(fraction, text)`` after each step.
    min_distance : int
        Designs differ from one another at this many positions at least (1: distinct). Above
        1 designs are searched one at a time, each on positions no earlier design changed,
        keeping the best of :data:`OVERSAMPLE` candidates that is far enough from the
        earlier ones (:func:`~promoter_model.design.search.spread_out`); the notes say when
        fewer than ``n_designs`` are that far apart.

    Returns
    -------
    DesignResult
    """
    objective = objective or Objective()
    constraints = constraints or Constraints()
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy {strategy!r}: choose greedy, beam or genetic")
    if not 1 <= int(n_designs) <= MAX_DESIGNS:
        raise ValueError(f"the number of designs must be 1..{MAX_DESIGNS}, not {n_designs}")
    bounds.design_search(constraints.max_mutations, n_designs, strategy)
    spread = design_search.check_min_distance(min_distance, constraints.max_mutations)
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    start_codes, note = prepare_start(start, predictor.input_length, rng)
    notes = ([note] if note else []) + start_violations(start_codes, constraints)
    scorer = _Scorer(predictor, objective, batch_size)
    def run(limits, n):
        if strategy == "greedy":
            return design_search.greedy(start_codes, limits, scorer, n, progress)
        if strategy == "beam":
            return design_search.beam(start_codes, limits, scorer, n, beam_width, progress)
        return design_search.genetic(start_codes, limits, scorer, n, rng, population,
                                     generations, progress)

    if spread > 1:  # one design at a time, each on positions no earlier design changed
        codes, paths = design_search.spread_out(run, start_codes, constraints,
                                                int(n_designs), spread, OVERSAMPLE, scorer)
    else:
        codes, paths = run(constraints, int(n_designs))
    if len(codes):  # keep only designs that improve on the start
        found = scorer(codes)[0]
        better = found > scorer(start_codes[None])[0][0] + 1e-9
        codes, paths, found = codes[better], [p for p, b in zip(paths, better) if b], found[better]
        keep = design_search.diverse_best(codes, found, int(n_designs), start_codes, spread)
        codes, paths = codes[keep], [paths[i] for i in keep]
        if spread > 1 and len(codes) < int(n_designs):
            notes.append(f"only {len(codes)} designs at least {spread} bases apart were found "
                         f"({n_designs} asked); lower --min-distance or raise the budget")
    if not len(codes):
        notes.append("no design within the constraints improves on the start's score")
    ids = [f"design-{i + 1}" for i in range(len(codes))]  # the search returns best first
    traj = _trajectories(scorer, start_codes, codes, paths, ids)
    final = traj.groupby("id", sort=False).tail(1).set_index("id")
    first = traj[traj["step"] == 0].head(1)
    all_codes = np.concatenate([start_codes[None], codes.reshape(-1, start_codes.size)])
    if len(first):
        mean = np.concatenate([first["prediction"].to_numpy(),
                               final.loc[ids, "prediction"].to_numpy()])
        sd = np.concatenate([first["sd"].to_numpy(), final.loc[ids, "sd"].to_numpy()])
        sd = None if np.isnan(sd).all() else sd
    else:
        mean, sd = scorer.predict(start_codes[None])
    score = objective.score(mean, sd)
    sd_col, lo, hi = _interval(mean, sd, predictor)
    reached = objective.reached(mean)
    table = pd.DataFrame({
        "id": ["start"] + ids, "sequence": decode_codes(all_codes), "prediction": mean,
        "sd": sd_col, "lower": lo, "upper": hi,
        "n_mutations": (all_codes != start_codes[None]).sum(axis=1),
        "mutations": mutation_labels(all_codes, start_codes), "score": score,
        "reached": reached if reached is not None else np.full(len(all_codes), None)})
    table = with_gain(table, predictor)  # calibrated: the interval of each design's gain
    if progress:
        progress(1.0, "done")
    return DesignResult(table=table, trajectories=traj, start=decode_codes(start_codes[None])[0],
                        objective=objective, strategy=strategy, unit=predictor.unit,
                        notes=notes, seconds=time.perf_counter() - t0,
                        evaluations=scorer.evaluations)


def held_out_check(predictor: Predictor, start: str | None = None, **kwargs) -> pd.DataFrame:
    """Design with all members but one, score with the one left out, for every member.

    Exposes designs that exploit one model's quirks: a design the left-out member does not
    also move toward the objective is a warning.

    Parameters
    ----------
    predictor : Predictor
        An ensemble (at least two members).
    start : str or None
    **kwargs
        Passed to :func:`design` (objective, constraints, strategy, n_designs, seed, ...).

    Returns
    -------
    pd.DataFrame
        ``left_out, id, sequence, mutations, design_prediction, left_out_start,
        left_out_prediction, agrees`` (``agrees``: the left-out member also moves the
        prediction toward the objective: up, down, or closer to the target).
    """
    if not predictor.is_ensemble:
        raise ValueError("the held-out check needs an ensemble of at least two members")
    objective = kwargs.get("objective") or Objective()
    rows = []
    for j, member in enumerate(predictor.members):
        others = [m for k, m in enumerate(predictor.members) if k != j]
        sub = Predictor(path=predictor.path, members=others, unit=predictor.unit,
                        rc_average=predictor.rc_average)
        result = design(sub, start, **kwargs)
        alone = Predictor(path=member.path, members=[member], unit=predictor.unit,
                          rc_average=predictor.rc_average)
        seqs = result.table["sequence"].tolist()
        left = alone.predict(codes_to_one_hot(encode_fitted(seqs, predictor.input_length)[0]))[0]
        d = result.table.iloc[1:]
        if objective.kind == "maximize":
            agrees = left[1:] > left[0]
        elif objective.kind == "minimize":
            agrees = left[1:] < left[0]
        else:
            agrees = np.abs(left[1:] - objective.target) < np.abs(left[0] - objective.target)
        rows.append(pd.DataFrame({
            "left_out": member.path.name, "id": d["id"].to_numpy(),
            "sequence": d["sequence"].to_numpy(), "mutations": d["mutations"].to_numpy(),
            "design_prediction": d["prediction"].to_numpy(), "left_out_start": left[0],
            "left_out_prediction": left[1:], "agrees": agrees}))
    return pd.concat(rows, ignore_index=True)


def fasta_text(table) -> str:
    """FASTA of the designs (the start first), one record per row, for ordering oligos."""
    lines = []
    for row in table.itertuples():
        muts = row.mutations or "none"
        lines.append(f">{row.id} prediction={row.prediction:.4g} mutations={muts}")
        lines.append(row.sequence)
    return "\n".join(lines) + "\n"
