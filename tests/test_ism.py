"""In-silico mutagenesis: exact answers on a linear toy, a planted REB1 site on the REB1 toy."""

from __future__ import annotations

import numpy as np
import pytest
from toy_models import linear_model, promoter_with_site, reb1_model

from promoter_model.interpret import ism, ism_summary
from promoter_model.model.predict import predict
from promoter_model.sequence import one_hot


@pytest.fixture(scope="module")
def linear():
    return linear_model(seed=3)


@pytest.fixture(scope="module")
def reb1():
    return reb1_model()


def test_snv_batch_order_and_content(promoters):
    x = one_hot(promoters[0])[0]
    batch = ism.snv_batch(x)
    assert batch.shape == (331, 110, 4)
    np.testing.assert_array_equal(batch[0], x)
    ref = x.argmax(-1)
    # every variant differs from the reference at exactly one position, in position-major order
    diff = (batch[1:] != x[None]).any(-1)
    assert (diff.sum(-1) == 1).all()
    np.testing.assert_array_equal(diff.argmax(-1), np.repeat(np.arange(110), 3))
    alt = batch[1:].argmax(-1)[np.arange(330), np.repeat(np.arange(110), 3)].reshape(110, 3)
    expected = np.array([[b for b in range(4) if b != r] for r in ref])
    np.testing.assert_array_equal(alt, expected)
    assert (batch.sum(-1) == 1).all()


def test_ism_linear_model_exact(linear, promoters):
    model, W, _ = linear
    x = one_hot(promoters[1])[0]
    scores = ism.ism(model, x)[0][0]
    ref = x.argmax(-1)
    expected = W - W[np.arange(110), ref][:, None]
    np.testing.assert_allclose(scores, expected, atol=1e-4)
    assert (scores[np.arange(110), ref] == 0).all()


def test_ism_accepts_strings_and_n_positions_are_unknown(linear):
    model, W, _ = linear
    short = "ACGT" * 25  # 100 bp: padded with 10 N on the 5' side
    scores = ism.ism(model, short)[0][0]
    # an N has no reference base: its "mutations" are not defined (NaN), never offered
    assert np.isnan(scores[:10]).all()
    x = one_hot(short)[0]
    ref = x.argmax(-1)
    np.testing.assert_allclose(scores[10:], W[10:] - W[np.arange(10, 110), ref[10:]][:, None],
                               atol=1e-4)
    top = ism_summary.top_mutations(scores, x, n=500)
    assert len(top) == 300 and (top["reference"] != "N").all() and (top["position"] > 10).all()
    rob = ism_summary.mutational_robustness(scores, x)
    assert rob.shape == (330,) and np.isnan(rob[-30:]).all() and np.isfinite(rob[:300]).all()
    table = ism_summary.ism_table(["s"], x[None], scores[None])
    assert table.loc[table["reference"] == "N", ["A", "C", "G", "T"]].isna().all().all()


def test_ism_of_bare_variable_region_equals_flanked(linear, promoters):
    model, _, _ = linear
    core = promoters[2][17:97]
    np.testing.assert_array_equal(ism.ism(model, core)[0][0],
                                  ism.ism(model, promoters[2])[0][0])


def test_ism_batch_matches_single(linear, promoters):
    model, _, _ = linear
    X = one_hot(promoters[:5])
    batch = ism.ism(model, X, chunk=2)[0]
    single = np.stack([ism.ism(model, x)[0][0] for x in X])
    np.testing.assert_allclose(batch, single, atol=1e-5)


def test_ism_uses_one_predict_call(linear, promoters, monkeypatch):
    model, _, _ = linear
    calls = []
    import promoter_model.predictor as mod

    def counting(m, X, batch_size=1024):
        calls.append(len(X))
        return predict(m, X, batch_size=batch_size)

    monkeypatch.setattr(mod, "predict_model", counting)
    ism.ism(model, one_hot(promoters[2])[0])[0][0]
    assert calls == [331]


def test_ism_peaks_on_planted_reb1_site(reb1):
    seq = promoter_with_site(start=50, seed=4)
    scores = ism.ism(reb1, seq)[0][0]
    summary = ism_summary.position_summary(scores)
    top = set(np.argsort(-summary)[:7].tolist())
    assert top <= set(range(49, 59))  # the 7 bp core at 50..56 (0-based), +-2 for the flanks
    # destroying the site removes all signal: the strongest decrease equals the prediction
    pred = predict(reb1, one_hot(seq))[0]
    assert pred > 1
    assert scores.min() == pytest.approx(-pred, rel=1e-4)


def test_position_summary_values():
    scores = np.zeros((3, 4), np.float32)
    scores[0] = [0, -3, 1, 2]
    scores[1] = [4, 0, 0, 0]
    np.testing.assert_allclose(ism_summary.position_summary(scores, "mean_abs"), [2, 4 / 3, 0])
    np.testing.assert_allclose(ism_summary.position_summary(scores, "max_abs"), [3, 4, 0])
    np.testing.assert_allclose(ism_summary.position_summary(scores, "mean"), [0, 4 / 3, 0])
    with pytest.raises(ValueError):
        ism_summary.position_summary(scores, "median")


def test_top_mutations_and_robustness(linear, promoters):
    model, W, _ = linear
    x = one_hot(promoters[3])[0]
    scores = ism.ism(model, x)[0][0]
    top = ism_summary.top_mutations(scores, x, n=4)
    assert list(top.columns) == ["position", "reference", "alternative", "change"]
    assert len(top) == 8
    assert (top["change"].iloc[:4] > 0).all() and (top["change"].iloc[4:] < 0).all()
    best = np.unravel_index(np.argmax(scores), scores.shape)
    assert top.iloc[0]["position"] == best[0] + 1
    assert top.iloc[0]["alternative"] == "ACGT"[best[1]]
    assert top.iloc[0]["reference"] == promoters[3][best[0]]
    assert top["change"].iloc[-1] == pytest.approx(scores.min())
    rob = ism_summary.mutational_robustness(scores, x)
    assert rob.shape == (330,)
    assert (np.diff(rob) >= 0).all()
    assert rob.sum() == pytest.approx(scores.sum(), rel=1e-4)


def test_ism_table(linear, promoters):
    model, _, _ = linear
    X = one_hot(promoters[:2])
    scores = ism.ism(model, X)[0]
    df = ism_summary.ism_table(["a", "b"], X, scores)
    assert list(df.columns) == ["id", "position", "reference", "A", "C", "G", "T"]
    assert len(df) == 220
    row = df.iloc[110 + 9]
    assert row["id"] == "b" and row["position"] == 10
    assert row["reference"] == promoters[1][9]
    assert row[row["reference"]] == 0
    np.testing.assert_allclose(row[["A", "C", "G", "T"]].to_numpy(float), scores[1, 9])


@pytest.mark.slow
@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("rc_average", [False, True])
def test_members_reference_is_each_members_prediction(tiny_run, tmp_path, promoters, fast,
                                                      rc_average):
    """``reference=True`` also gives each member's prediction of the unmutated sequences:
    what ``predict_members`` gives (strand averaging included), on the windowed engine and on
    the plain path, and it leaves the effects as they were.
    """
    from toy_models import member_copies

    from promoter_model.predictor import load_predictor

    pred = load_predictor(member_copies(tiny_run, tmp_path / "pair"))
    pred.rc_average = rc_average
    X = one_hot(promoters[:3])
    effects, reference = ism.ism(pred, X, chunk=2, fast=fast, members=True, reference=True)
    assert reference.shape == (2, 3)
    want = pred.predict_members(X)
    assert np.ptp(want) > 1e-4  # members and sequences differ: not a vacuous comparison
    np.testing.assert_allclose(reference, want, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(effects, ism.ism(pred, X, chunk=2, fast=fast, members=True))
