"""Position and orientation scans: a planted position preference comes back as the profile."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
from toy_models import linear_model, reb1_model, toy_calibration

from promoter_model.grammar.backgrounds import draw_backgrounds
from promoter_model.grammar.core import provenance
from promoter_model.grammar.position import COLUMNS, position_members, position_scan
from promoter_model.predictor import Predictor, as_predictor
from promoter_model.sequence import SEQ_LEN, VARIABLE_START

SITE = "TTACCCG"


def exact_site_kernel(site: str) -> tuple:
    """+1 for the site's base, -1 otherwise; bias so that only an exact match scores 1."""
    k = len(site)
    w = -np.ones((k, 4, 1), np.float32)
    w[np.arange(k), ["ACGT".index(c) for c in site], 0] = 1.0
    return w, np.array([-(k - 1)], np.float32)


def positional_model(weights, site: str = SITE) -> keras.Model:
    """``f = sum_l weights[l] * [exact site starts at l]``: a forward-strand site whose
    effect depends on where it sits (``weights`` per 0-based start in the 110 bp input).
    """
    k = len(site)
    inputs = keras.Input((SEQ_LEN, 4))
    conv = keras.layers.Conv1D(1, k, padding="valid")
    hits = keras.layers.Flatten()(keras.layers.ReLU()(conv(inputs)))
    dense = keras.layers.Dense(1)
    model = keras.Model(inputs, dense(hits))
    conv.set_weights(list(exact_site_kernel(site)))
    dense.set_weights([np.asarray(weights, np.float32).reshape(-1, 1), np.zeros(1, np.float32)])
    return model


def bump(center: float, height: float = 2.0) -> np.ndarray:
    """Weights per 110 bp start: 1 + a Gaussian bump at variable-region start ``center``."""
    starts = np.arange(SEQ_LEN - len(SITE) + 1) - VARIABLE_START
    return 1.0 + height * np.exp(-(starts - center) ** 2 / 50.0)


@pytest.fixture(scope="module")
def backgrounds():
    return draw_backgrounds(12, seed=4)


def test_planted_position_preference_is_the_profile_and_the_other_strand_is_flat(backgrounds):
    w = bump(30.0)
    df = position_scan(positional_model(w), SITE, backgrounds=backgrounds)
    assert list(df.columns) == COLUMNS
    plus = df[df["strand"] == "+"]
    minus = df[df["strand"] == "-"]
    assert plus["position"].tolist() == list(range(80 - len(SITE) + 1))
    expect = w[VARIABLE_START + plus["position"].to_numpy()]
    np.testing.assert_allclose(plus["effect"], expect, atol=0.1)  # a background site may go
    assert int(plus["position"].iloc[plus["effect"].argmax()]) == 30
    assert np.abs(minus["effect"]).max() < 0.1
    assert df["sd"].isna().all()  # one run: no members' sd
    assert df.attrs["n_backgrounds"] == 12 and df.attrs["seed"] == 4
    assert df.attrs["backgrounds"] == "shuffle" and df.attrs["motif"] == SITE
    assert "12 backgrounds" in provenance(df) and "seed 4" in provenance(df)


def test_a_reverse_site_scores_on_the_minus_strand(backgrounds):
    rc = "CGGGTAA"
    df = position_scan(positional_model(bump(10.0), site=rc), SITE, backgrounds=backgrounds,
                       positions=[5, 10, 40])
    minus = df[df["strand"] == "-"].set_index("position")["effect"]
    assert minus[10] > minus[40] > 0.9 and np.abs(df[df["strand"] == "+"]["effect"]).max() < .1


def ensemble_of(*models, calibration=None) -> Predictor:
    runs = [as_predictor(m).members[0] for m in models]
    return Predictor(path=Path("toy-ensemble"), members=runs, calibration=calibration)


def test_an_ensemble_gives_the_members_mean_and_sd(backgrounds):
    w1, w2 = bump(20.0), bump(50.0)
    pred = ensemble_of(positional_model(w1), positional_model(w2))
    r = position_members(pred, SITE, backgrounds=backgrounds, strands=["+"])
    assert r["effects"].shape == (2, 12, 1, 80 - len(SITE) + 1)
    df = position_scan(pred, SITE, backgrounds=backgrounds, strands=["+"], level=None)
    idx = VARIABLE_START + df["position"].to_numpy()
    np.testing.assert_allclose(df["effect"], (w1[idx] + w2[idx]) / 2, atol=0.1)
    np.testing.assert_allclose(df["sd"], np.abs(w1[idx] - w2[idx]) / 2, atol=0.1)
    assert df.attrs["members"] == 2 and "lower" not in df


def test_a_calibrated_ensemble_adds_the_difference_interval(backgrounds):
    model, _, _ = linear_model(seed=1)
    pred = ensemble_of(model, linear_model(seed=2)[0], calibration=toy_calibration())
    df = position_scan(pred, "ACGTAC", backgrounds=backgrounds, positions=[0, 37], level=0.9)
    assert list(df.columns) == COLUMNS + ["lower", "upper"]
    width = (df["upper"] - df["lower"]).to_numpy()
    assert (df["lower"] < df["effect"]).all() and (df["effect"] < df["upper"]).all()
    np.testing.assert_allclose(width, 2 * 2 * 1.96 * 0.5, rtol=0.15)  # 2 x 95% half-widths
    assert df.attrs["calibrated"] and df.attrs["level"] == 0.9
    no_func = position_scan(pred, "ACGTAC", backgrounds=backgrounds, positions=[0],
                            func=np.exp)
    assert "lower" not in no_func  # a func changes the scale the calibration holds on


def test_a_jaspar_motif_by_name_and_the_degenerate_site_is_seeded(backgrounds):
    df = position_scan(reb1_model(), "REB1", backgrounds=backgrounds, positions=[10, 40])
    assert (df[df["strand"] == "+"]["effect"] > 1).all()
    a = position_scan(reb1_model(), "TTACCCR", backgrounds=backgrounds, positions=[10], seed=1)
    b = position_scan(reb1_model(), "TTACCCR", backgrounds=backgrounds, positions=[10], seed=1)
    assert a["effect"].tolist() == b["effect"].tolist()


def test_bad_arguments_are_refused(backgrounds):
    model = positional_model(bump(30.0))
    with pytest.raises(ValueError, match="strands"):
        position_scan(model, SITE, backgrounds=backgrounds, strands=["x"])
    with pytest.raises(ValueError, match="starts at 0..73"):
        position_scan(model, SITE, backgrounds=backgrounds, positions=[74])
    short = keras.Sequential([keras.Input((80, 4)), keras.layers.Flatten(),
                              keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="110 bp"):
        position_scan(short, SITE, backgrounds=backgrounds)


@pytest.mark.slow
def test_the_demo_ensemble_scans_its_discovered_pattern_with_intervals():
    demo = Path(__file__).resolve().parents[1] / "assets" / "demo_ensemble"
    if not (demo / "motifs" / "discovered.json").is_file():
        pytest.skip("the demo ensemble or its discovered motifs are not here")
    df = position_scan(demo, "pos_0", n_backgrounds=3, positions=[10, 40])
    assert list(df.columns) == COLUMNS + ["lower", "upper"]
    assert df["sd"].notna().all() and (df["sd"] > 0).all()
    assert df.attrs["members"] == 5 and "pos_0" in df.attrs["motif"]
    assert ((df["lower"] < df["effect"]) & (df["effect"] < df["upper"])).all()
