"""Necessity and sufficiency: positive for a planted site, near zero for a random window."""

from __future__ import annotations

import numpy as np
import pytest
from toy_models import REB1_CORE, linear_model, promoter_with_site, reb1_model

from promoter_model.grammar.necessity import COLUMNS, necessity_sufficiency
from promoter_model.sequence import VARIABLE_START


@pytest.fixture(scope="module")
def planted():
    return promoter_with_site(REB1_CORE, start=VARIABLE_START + 33, seed=3)


def test_a_planted_site_is_necessary_and_sufficient_a_random_window_neither(planted):
    model = reb1_model()
    df = necessity_sufficiency(model, planted, instances=[(33, 40), (5, 12)], n_shuffles=30,
                               seed=1)
    assert list(df.columns) == COLUMNS
    site, window = df.iloc[0], df.iloc[1]
    wt = df.attrs["wild_type"]
    assert wt > 1.0 and site["site"] == REB1_CORE
    assert site["necessity"] > 0.5 * wt and site["sufficiency"] > 0.5 * wt
    assert abs(window["necessity"]) < 0.05 * wt and abs(window["sufficiency"]) < 0.05 * wt
    assert df.attrs["n_shuffles"] == 30 and df.attrs["seed"] == 1
    assert np.isnan(df["necessity_sd"]).all()


def test_instances_are_found_when_not_given(planted):
    df = necessity_sufficiency(reb1_model(), planted, motifs=["REB1"], max_p=1e-3,
                               n_shuffles=10)
    assert len(df) >= 1 and df.iloc[0]["start"] <= 33 and df.iloc[0]["necessity"] > 1.0
    assert "score" in df  # find_instances' columns follow


def test_linear_model_necessity_is_the_exact_mean_over_shuffles(planted):
    model, W, _ = linear_model(seed=2)
    df = necessity_sufficiency(model, planted, instances=[(33, 40)], n_shuffles=200, seed=0)
    s = slice(VARIABLE_START + 33, VARIABLE_START + 40)
    from promoter_model.sequence import one_hot
    x = one_hot([planted])[0]
    wt = (W[s] * x[s]).sum()
    comp = x[s].mean(axis=0)  # a shuffle keeps the composition: E = sum_i W_i . comp
    assert df.loc[0, "necessity"] == pytest.approx(wt - (W[s] @ comp).sum(), abs=0.3)


def test_bad_windows_and_shuffle_counts(planted):
    with pytest.raises(ValueError, match="not a window"):
        necessity_sufficiency(reb1_model(), planted, instances=[(75, 85)])
    with pytest.raises(ValueError, match="n_shuffles"):
        necessity_sufficiency(reb1_model(), planted, instances=[(1, 5)], n_shuffles=0)
    empty = necessity_sufficiency(reb1_model(), planted, instances=[], n_shuffles=3)
    assert empty.empty and list(empty.columns)[:len(COLUMNS)] == COLUMNS
