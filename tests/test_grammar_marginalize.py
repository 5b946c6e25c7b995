"""Marginalize: the effect of a motif over many backgrounds, checked against exact answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from toy_models import linear_model, reb1_model, toy_calibration

from promoter_model.grammar.backgrounds import draw_backgrounds
from promoter_model.grammar.marginalize import COLUMNS, marginalize, marginalize_members
from promoter_model.predictor import Predictor, as_predictor
from promoter_model.sequence import VARIABLE_START, one_hot


@pytest.fixture(scope="module")
def backgrounds():
    return draw_backgrounds(15, seed=9)


def linear_effects(W, X, site: str, start: int) -> np.ndarray:
    """Exact effect per background of writing ``site`` at 110 bp ``start`` under ``W``."""
    k = len(site)
    s = one_hot([site], length=k, fit=False)[0]
    window = slice(start, start + k)
    return (W[window] * s).sum() - (W[window][None] * X[:, window]).sum(axis=(1, 2))


def test_linear_model_effects_are_exact_per_background(backgrounds):
    model, W, _ = linear_model(seed=0)
    r = marginalize_members(model, ["ACGTAC", "GGGCCCAT"], position=10,
                            backgrounds=backgrounds)
    assert r["effects"].shape == (1, 15, 2)
    for j, site in enumerate(["ACGTAC", "GGGCCCAT"]):
        np.testing.assert_allclose(r["effects"][0, :, j],
                                   linear_effects(W, backgrounds.X, site, VARIABLE_START + 10),
                                   atol=1e-4)
    df = marginalize(model, ["ACGTAC", "GGGCCCAT"], position=10, backgrounds=backgrounds)
    assert list(df.columns) == COLUMNS
    exact = linear_effects(W, backgrounds.X, "ACGTAC", VARIABLE_START + 10)
    assert df.loc[0, "effect"] == pytest.approx(exact.mean(), abs=1e-4)
    assert df.loc[0, "background_sd"] == pytest.approx(exact.std(), abs=1e-4)
    assert np.isnan(df.loc[0, "sd"])
    assert df.attrs["n_backgrounds"] == 15 and df.attrs["seed"] == 9


def test_reverse_strand_and_centred_default(backgrounds):
    model, W, _ = linear_model(seed=0)
    df = marginalize(model, "AACCGT", strand="-", backgrounds=backgrounds)
    assert df.loc[0, "position"] == 37 and df.loc[0, "strand"] == "-"
    exact = linear_effects(W, backgrounds.X, "ACGGTT", VARIABLE_START + 37)
    assert df.loc[0, "effect"] == pytest.approx(exact.mean(), abs=1e-4)


def test_ensemble_sd_and_calibrated_interval(backgrounds):
    runs = [as_predictor(linear_model(seed=s)[0]).members[0] for s in (0, 1)]
    pred = Predictor(path=Path("toy"), members=runs, calibration=toy_calibration())
    df = marginalize(pred, "TTACCCG", backgrounds=backgrounds)
    assert list(df.columns) == COLUMNS + ["lower", "upper"]
    per = [linear_effects(linear_model(seed=s)[1], backgrounds.X, "TTACCCG",
                          VARIABLE_START + 36).mean() for s in (0, 1)]
    assert df.loc[0, "effect"] == pytest.approx(np.mean(per), abs=1e-4)
    assert df.loc[0, "sd"] == pytest.approx(np.std(per), abs=1e-4)
    assert df.loc[0, "lower"] < df.loc[0, "effect"] < df.loc[0, "upper"]


def test_reb1_inserted_anywhere_raises_the_toy(backgrounds):
    df = marginalize(reb1_model(), "REB1", backgrounds=backgrounds)
    assert df.loc[0, "motif"].startswith("REB1") and df.loc[0, "effect"] > 1.0
