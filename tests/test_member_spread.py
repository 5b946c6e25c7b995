"""The members' spread of mutation effects: two linear members that agree everywhere but at
one position, where one member's weights are the other's negated, give the exact sd, sign
disagreement only there, the ISM table's columns, the variant's calibrated difference
interval, and the heatmap's marks.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from toy_models import linear_model, toy_calibration  # noqa: E402

from promoter_model.interpret.ism import ism  # noqa: E402
from promoter_model.interpret.ism_summary import ism_table, sign_disagreement  # noqa: E402
from promoter_model.interpret.variants import variant_effect  # noqa: E402
from promoter_model.model.config import RunConfig  # noqa: E402
from promoter_model.predictor import load_predictor  # noqa: E402
from promoter_model.runs import save_run  # noqa: E402
from promoter_model.runs.ensemble import write_ensemble  # noqa: E402
from promoter_model.sequence import one_hot  # noqa: E402

POS = 30  # 0-based position where the members disagree


def exact_ism(W, x):
    return W - (W * x).sum(axis=-1, keepdims=True)


@pytest.fixture(scope="module")
def opposed(tmp_path_factory):
    """Members W and W' (W' = W except W'[POS] = -W[POS]), calibrated."""
    root = tmp_path_factory.mktemp("opposed") / "ens"
    weights = []
    for k in range(2):
        model, W, _ = linear_model(seed=3)
        if k == 1:
            W = W.copy()
            W[POS] = -W[POS]
            model.get_layer("expression").set_weights([W.reshape(-1, 1),
                                                       np.array([0.5], np.float32)])
        save_run(root / "members" / f"fold-{k}", model, RunConfig(preset="custom", unit="toy"))
        weights.append(W)
    write_ensemble(root, [root / "members" / f"fold-{k}" for k in range(2)], unit="toy",
                   calibration=toy_calibration())
    return load_predictor(root), weights


def test_member_effects_sd_and_sign_disagreement(opposed, promoters):
    pred, (W0, W1) = opposed
    X = one_hot(promoters[:3])
    members = ism(pred, X, chunk=2, members=True)
    assert members.shape == (2, 3, 110, 4)
    e0 = np.stack([exact_ism(W0, x) for x in X])
    e1 = np.stack([exact_ism(W1, x) for x in X])
    np.testing.assert_allclose(members[0], e0, atol=1e-4)
    np.testing.assert_allclose(members[1], e1, atol=1e-4)
    mean, sd = ism(pred, X, chunk=2)
    np.testing.assert_allclose(mean, members.mean(axis=0), atol=1e-6)
    np.testing.assert_allclose(sd, np.abs(e0 - e1) / 2, atol=1e-4)
    # sd is zero except at POS, where it is |e0| (e1 = -e0 there)
    assert np.all(np.delete(sd, POS, axis=1) < 1e-5)
    np.testing.assert_allclose(sd[:, POS], np.abs(e0[:, POS]), atol=1e-4)
    flags = sign_disagreement(members)
    assert flags.shape == (3, 110, 4)
    assert not np.delete(flags, POS, axis=1).any()
    np.testing.assert_array_equal(flags[:, POS], np.abs(e0[:, POS]) > 0.01)
    assert flags[:, POS].sum() == 9  # 3 sequences x 3 alternative bases
    # below the tolerance an effect has no sign
    assert not sign_disagreement(members, tol=1e3).any()
    # one member never disagrees with itself
    assert not sign_disagreement(members[:1]).any()
    df = ism_table(["a", "b", "c"], X, mean, sd=sd, disagree=flags)
    assert list(df.columns)[-4:] == ["A_disagree", "C_disagree", "G_disagree", "T_disagree"]
    assert int(df[[f"{b}_disagree" for b in "ACGT"]].to_numpy().sum()) == 9
    assert set(df.loc[df[[f"{b}_disagree" for b in "ACGT"]].any(axis=1), "position"]) == \
        {POS + 1}


def test_variant_effect_carries_spread_disagreement_and_interval(opposed, promoters):
    pred, (W0, W1) = opposed
    ref = promoters[0]
    alts = []
    for pos in (POS, POS + 10):
        base = "A" if ref[pos] != "A" else "C"
        alts.append(ref[:pos] + base + ref[pos + 1:])
    df = variant_effect(pred, ref, alts, ids=["at_pos", "elsewhere"], level=0.8)
    assert list(df.columns) == ["id", "ref_pred", "alt_pred", "delta", "delta_sd",
                                "delta_lower", "delta_upper", "delta_calibrated",
                                "members_disagree", "fit_note"]
    assert pred.calibration.differences is None and not df["delta_calibrated"].any()
    x = one_hot([ref])[0]
    b = "ACGT".index(alts[0][POS])
    d0 = exact_ism(W0, x)[POS, b]
    assert df["delta"][0] == pytest.approx(0.0, abs=1e-4)  # d0 and -d0 average out
    assert df["delta_sd"][0] == pytest.approx(abs(d0), abs=1e-4)
    assert df["members_disagree"].tolist() == [abs(d0) > 0.01, False]
    w = pred.calibration.half_width([df["alt_pred"][1]], 0.9) + \
        pred.calibration.half_width([df["ref_pred"][1]], 0.9)  # Bonferroni: 0.9 each for 0.8
    assert df["delta_upper"][1] - df["delta"][1] == pytest.approx(w[0], abs=1e-6)
    assert df["delta"][1] - df["delta_lower"][1] == pytest.approx(w[0], abs=1e-6)
    # with a func the output is on another scale: no interval is claimed
    assert "delta_lower" not in variant_effect(pred, ref, alts, func=np.exp).columns


def test_heatmap_marks_the_disagreeing_cells(opposed, promoters):
    from promoter_model.plot.figures import ism_heatmap

    pred, _ = opposed
    members = ism(pred, promoters[0], members=True)
    flags = sign_disagreement(members)[0]
    ax = ism_heatmap(members.mean(axis=0)[0], promoters[0], disagree=flags).axes[0]
    marks = [c for c in ax.collections if c.get_gid() == "disagree"]
    assert len(marks) == 1
    offsets = np.asarray(marks[0].get_offsets())
    expect = np.argwhere(flags)  # (position, base)
    np.testing.assert_array_equal(offsets, np.c_[expect[:, 0] + 1, expect[:, 1]])
    assert marks[0].get_label() == "members disagree on the sign"
    ax2 = ism_heatmap(members.mean(axis=0)[0], promoters[0]).axes[0]
    assert not [c for c in ax2.collections if c.get_gid() == "disagree"]
    with pytest.raises(ValueError, match="disagree mask has shape"):
        ism_heatmap(members.mean(axis=0)[0], promoters[0], disagree=flags[:10])


def test_every_ism_cell_gets_the_interval_of_its_measured_change(opposed, promoters):
    """Single substitutions are pairs one base apart: with pair quantiles each cell gets the
    pair-calibrated interval (binned by the size of its change), without them the Bonferroni
    bound; the reference bases get none, and the table carries both bounds per base.
    """
    from promoter_model.interpret.ism_summary import ism_intervals
    from tests.toy_models import toy_pair_calibration

    pred, _ = opposed
    X = one_hot(promoters[:2])
    mean, sd = ism(pred, X)
    ref = pred.predict(X)[0]
    for cal in (toy_pair_calibration(), toy_calibration()):
        lower, upper = ism_intervals(cal, ref, mean, X)
        assert lower.shape == mean.shape and np.isnan(lower[X > 0.5]).all()
        alt = X < 0.5
        lo, hi = cal.difference_interval((ref[:, None, None] + mean)[alt],
                                         np.broadcast_to(ref[:, None, None], mean.shape)[alt],
                                         0.9, mismatches=1)
        np.testing.assert_allclose(lower[alt], lo)
        np.testing.assert_allclose(upper[alt], hi)
    pair_width = np.nanmean(ism_intervals(toy_pair_calibration(), ref, mean, X)[1] - mean)
    assert pair_width < np.nanmean(upper - mean)  # narrower than Bonferroni
    df = ism_table(["a", "b"], X, mean, sd=sd, lower=lower, upper=upper)
    assert list(df.columns)[-8:] == [f"{b}_{s}" for s in ("lower", "upper") for b in "ACGT"]
    first = df.iloc[0]
    assert np.isnan(first[f"{first['reference']}_lower"])  # the reference base: no change
