"""Design toward an objective with toy models of known optimum.

A REB1 detector (the design must create a REB1 site within the budget), linear models
(exact predictions, a two-member ensemble for intervals and the held-out check), and the
constraints checked on every design and every step of its trajectory.
"""

import numpy as np
import pandas as pd
import pytest
from toy_models import REB1_CORE, linear_model, promoter_with_site, reb1_model

from promoter_model.design import Objective, decode_codes, design, held_out_check, mutation_labels
from promoter_model.design.constraints import (
    GOLDEN_GATE,
    Constraints,
    feasible,
    longest_homopolymer,
    start_violations,
)
from promoter_model.model.config import RunConfig
from promoter_model.predictor import load_predictor
from promoter_model.runs import save_run
from promoter_model.runs.ensemble import write_ensemble
from promoter_model.sequence import (
    FLANK_3,
    FLANK_5,
    VARIABLE_END,
    VARIABLE_START,
    encode_codes,
    one_hot,
    reverse_complement,
)

STRATEGIES = ["greedy", "beam", "genetic"]
REB1_RC = reverse_complement(REB1_CORE)


@pytest.fixture(scope="module")
def reb1(tmp_path_factory):
    root = tmp_path_factory.mktemp("design") / "reb1"
    save_run(root, reb1_model(threshold=0.0), RunConfig(preset="custom", unit="toy units"))
    return load_predictor(root)


@pytest.fixture(scope="module")
def linear_ensemble(tmp_path_factory):
    root = tmp_path_factory.mktemp("design_ens") / "two_linear"
    weights = []
    for k in range(2):
        model, W, _ = linear_model(seed=k)
        weights.append(W)
        save_run(root / "members" / f"fold-{k}", model, RunConfig(preset="custom", unit="toy"))
    write_ensemble(root, ["members/fold-0", "members/fold-1"], unit="toy")
    return load_predictor(root), weights


@pytest.fixture(scope="module")
def start():
    """Return a promoter without any REB1 core (a blank at 50-56)."""
    return promoter_with_site("AAAAAAA", 50, seed=0)


def _has_reb1(seq):
    return REB1_CORE in seq or REB1_RC in seq


def _check_rules(result, start, budget):
    """Flanks unchanged and the budget kept, for every design and every trajectory step."""
    seqs = result.table["sequence"].tolist() + result.trajectories["sequence"].tolist()
    for s in seqs:
        assert len(s) == 110
        assert s[:VARIABLE_START] == FLANK_5 and s[VARIABLE_END:] == FLANK_3
        assert sum(a != b for a, b in zip(s, start)) <= budget
    assert (result.designs["n_mutations"] <= budget).all()


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_design_creates_the_motif_within_budget(reb1, start, strategy):
    assert not _has_reb1(start)
    ref = float(reb1.predict(one_hot([start]))[0][0])
    best = float(reb1.predict(one_hot([promoter_with_site(REB1_CORE, 50)]))[0][0])
    result = design(reb1, start, constraints=Constraints(max_mutations=7), strategy=strategy,
                    n_designs=3, generations=40, seed=1)
    top = result.designs.iloc[0]
    assert _has_reb1(top["sequence"]) and top["prediction"] >= 0.95 * best > ref
    _check_rules(result, start, 7)
    # the table's predictions are the predictor's, and mutations describe the edits
    np.testing.assert_allclose(result.table["prediction"],
                               reb1.predict(one_hot(result.table["sequence"].tolist()))[0],
                               rtol=1e-5)
    for row in result.designs.itertuples():
        edited = list(start)
        for m in row.mutations.split(";"):
            pos, change = int(m[:-3]), m[-3:]
            assert start[pos - 1] == change[0]
            edited[pos - 1] = change[2]
        assert "".join(edited) == row.sequence and row.n_mutations == len(row.mutations.split(";"))
    # the trajectory ends at the design and starts at the start
    traj = result.trajectories
    for ident, g in traj.groupby("id"):
        assert g["sequence"].iloc[0] == start
        assert g["sequence"].iloc[-1] == result.table.set_index("id").loc[ident, "sequence"]
        assert list(g["step"]) == list(range(len(g)))
    assert result.table["id"].iloc[0] == "start" and result.table["sd"].isna().all()
    # deterministic
    again = design(reb1, start, constraints=Constraints(max_mutations=7), strategy=strategy,
                   n_designs=3, generations=40, seed=1)
    pd.testing.assert_frame_equal(result.table, again.table)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_forbidden_site_never_created_on_either_strand(reb1, start, strategy):
    forbid = ("TTACCC",) + tuple(GOLDEN_GATE.values())
    cons = Constraints(max_mutations=7, forbid=forbid)
    result = design(reb1, start, constraints=cons, strategy=strategy, n_designs=3,
                    generations=15)
    sites = [s for f in forbid for s in (f, reverse_complement(f))]
    assert "GGGTAA" in sites
    for s in result.table["sequence"].tolist() + result.trajectories["sequence"].tolist():
        assert not any(site in s for site in sites), s
    _check_rules(result, start, 7)


def test_kept_positions_gc_and_homopolymer(linear_ensemble):
    pred, _ = linear_ensemble
    start = promoter_with_site("GATCGAT", 50, seed=5)  # GC 42.5%, longest run 3 bp
    keep = tuple(range(40, 60))
    cons = Constraints(max_mutations=6, keep=keep, gc_range=(0.35, 0.55), max_homopolymer=4)
    assert start_violations(encode_codes([start])[0].astype(int), cons) == []
    for strategy in STRATEGIES:
        result = design(pred, start, constraints=cons, strategy=strategy, n_designs=4,
                        generations=10)
        assert len(result.designs)
        codes = encode_codes(result.table["sequence"].tolist()).astype(int)
        assert (codes[:, list(keep)] == codes[0, list(keep)]).all()
        gc = ((codes[:, VARIABLE_START:VARIABLE_END] == 1)
              | (codes[:, VARIABLE_START:VARIABLE_END] == 2)).mean(axis=1)
        assert ((gc >= 0.35) & (gc <= 0.55)).all()
        assert (longest_homopolymer(codes) <= 4).all()
        _check_rules(result, start, 6)


def test_constraint_checks_are_exact():
    base = FLANK_5 + "A" * 80 + FLANK_3
    start = encode_codes([base])[0].astype(int)
    cands = [base[:40] + "GAGACC" + base[46:],   # BsaI on the reverse strand
             base[:40] + "GGTCTC" + base[46:],   # BsaI on the forward strand
             base[:40] + "GCGCGC" + base[46:]]   # allowed
    codes = encode_codes(cands).astype(int)
    cons = Constraints(max_mutations=6, forbid=("GGTCTC",))
    assert feasible(codes, start, cons).tolist() == [False, False, True]
    # the start breaks the homopolymer rule: designs may keep but not lengthen it
    cons = Constraints(max_mutations=6, max_homopolymer=5)
    assert "homopolymer of 80 bp" in start_violations(start, cons)[0]
    assert feasible(codes, start, cons).all()
    # budget: 4, 6 and 6 bases changed
    assert feasible(codes, start, Constraints(max_mutations=5)).tolist() == [True, False, False]
    # a flank position may never change, even within budget
    flank = encode_codes([("C" + base[1:])]).astype(int)
    assert not feasible(flank, start, Constraints(max_mutations=6)).any()
    assert mutation_labels(codes, start)[0] == "41A>G;43A>G;45A>C;46A>C"
    assert mutation_labels(start[None], start) == [""]
    assert decode_codes(codes[:1]) == cands[:1]


def test_target_objective_stops_near_the_target(linear_ensemble, start):
    pred, _ = linear_ensemble
    ref = float(pred.predict(one_hot([start]))[0][0])
    obj = Objective("target", target=ref + 3.0, tolerance=0.25, uncertainty=0.0)
    result = design(pred, start, objective=obj, constraints=Constraints(max_mutations=5))
    top = result.designs.iloc[0]
    assert top["reached"] and abs(top["prediction"] - (ref + 3.0)) <= 0.25
    assert result.table["reached"].iloc[0] == False  # noqa: E712 - numpy bool


def test_ensemble_interval_and_uncertainty_penalty(linear_ensemble, start):
    pred, (W0, W1) = linear_ensemble
    result = design(pred, start, objective=Objective("maximize", uncertainty=2.0),
                    constraints=Constraints(max_mutations=3), n_designs=2)
    t = result.table
    X = one_hot(t["sequence"].tolist())
    f0, f1 = (np.einsum("nlb,lb->n", X, W) + 0.5 for W in (W0, W1))
    np.testing.assert_allclose(t["prediction"], (f0 + f1) / 2, atol=1e-4)
    np.testing.assert_allclose(t["sd"], np.abs(f0 - f1) / 2, atol=1e-4)
    np.testing.assert_allclose(t["score"], t["prediction"] - 2.0 * t["sd"], atol=1e-6)
    np.testing.assert_allclose(t["upper"] - t["prediction"], 1.6448536 * t["sd"], atol=1e-6)
    assert (t["lower"] <= t["prediction"]).all()
    assert (result.designs["score"] > t["score"].iloc[0]).all()


def test_held_out_check_scores_with_the_left_out_member(linear_ensemble, start):
    pred, (W0, W1) = linear_ensemble
    df = held_out_check(pred, start, constraints=Constraints(max_mutations=3), n_designs=2)
    assert set(df["left_out"]) == {"fold-0", "fold-1"}
    for name, W, other in (("fold-0", W0, W1), ("fold-1", W1, W0)):
        rows = df[df["left_out"] == name]
        X = one_hot(rows["sequence"].tolist())
        np.testing.assert_allclose(rows["left_out_prediction"],
                                   np.einsum("nlb,lb->n", X, W) + 0.5, atol=1e-4)
        # designed with the other member alone: its prediction is that member's
        np.testing.assert_allclose(rows["design_prediction"],
                                   np.einsum("nlb,lb->n", X, other) + 0.5, atol=1e-4)
        assert (rows["agrees"] == (rows["left_out_prediction"] > rows["left_out_start"])).all()
    with pytest.raises(ValueError, match="ensemble"):
        held_out_check(load_predictor(pred.members[0].path), start)


def test_random_start_and_bad_input(reb1):
    a = design(reb1, None, constraints=Constraints(max_mutations=2), n_designs=1, seed=3)
    b = design(reb1, None, constraints=Constraints(max_mutations=2), n_designs=1, seed=3)
    assert a.start == b.start and a.start.startswith(FLANK_5) and a.start.endswith(FLANK_3)
    assert "random background" in a.notes[0]
    short = design(reb1, "ACGT" * 20, constraints=Constraints(max_mutations=1), n_designs=1)
    assert short.start == FLANK_5 + "ACGT" * 20 + FLANK_3 and "flank" in short.notes[0]
    with pytest.raises(ValueError, match="strategy"):
        design(reb1, None, strategy="annealing")
    with pytest.raises(ValueError, match="target"):
        Objective("target")
    with pytest.raises(ValueError, match="budget"):
        Constraints(max_mutations=0)
    with pytest.raises(ValueError, match="forbidden site"):
        Constraints(forbid=("GGXCTC",))


def test_no_design_when_nothing_improves(tmp_path, start):
    """A thresholded REB1 detector is flat far from a site: no edit within budget helps."""
    save_run(tmp_path / "flat", reb1_model(threshold=0.6), RunConfig(preset="custom"))
    result = design(load_predictor(tmp_path / "flat"), start,
                    constraints=Constraints(max_mutations=1), n_designs=2)
    assert len(result.designs) == 0 and len(result.table) == 1
    assert result.trajectories.empty
    assert "no design within the constraints improves" in result.notes[-1]
