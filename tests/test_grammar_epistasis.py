"""Epistasis: a planted pairwise term is found at its pair, an additive model has none."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from toy_models import linear_model

from promoter_model.grammar.epistasis import (
    COLUMNS,
    epistasis,
    epistasis_grid,
    epistasis_window,
)
from promoter_model.sequence import FLANK_3, FLANK_5, SEQ_LEN, VARIABLE_START

POS_I, POS_J = 20, 30  # variable-region positions of the planted pair
BASE_I, BASE_J = 0, 3  # the pair's bases: A at POS_I, T at POS_J
BONUS = 1.5


def pair_model(seed: int = 0) -> keras.Model:
    """Linear, plus ``BONUS * [A at POS_I] * [T at POS_J]``; the linear weights make A the strongest
    single change at POS_I and T at POS_J.
    """
    rng = np.random.default_rng(seed)
    W = rng.normal(scale=0.1, size=(SEQ_LEN, 4)).astype(np.float32)
    W[VARIABLE_START + POS_I, BASE_I] = W[VARIABLE_START + POS_J, BASE_J] = 3.0
    x = keras.Input((SEQ_LEN, 4))
    flat = keras.layers.Flatten()(x)
    linear, pick_i, pick_j = (keras.layers.Dense(1) for _ in range(3))
    pair = keras.layers.Multiply()([pick_i(flat), pick_j(flat)])
    bonus = keras.layers.Dense(1)
    model = keras.Model(x, keras.layers.Add()([linear(flat), bonus(pair)]))
    zero = np.zeros(1, np.float32)
    linear.set_weights([W.reshape(-1, 1), zero])
    for layer, (p, b) in ((pick_i, (POS_I, BASE_I)), (pick_j, (POS_J, BASE_J))):
        sel = np.zeros((SEQ_LEN, 4), np.float32)
        sel[VARIABLE_START + p, b] = 1.0
        layer.set_weights([sel.reshape(-1, 1), zero])
    bonus.set_weights([np.full((1, 1), BONUS, np.float32), zero])
    return model


def core(seed: int = 1) -> str:
    """An 80 bp core with C at POS_I and G at POS_J (neither is the planted base)."""
    rng = np.random.default_rng(seed)
    c = list("".join(rng.choice(list("ACGT"), size=80)))
    c[POS_I], c[POS_J] = "C", "G"
    return "".join(c)


def test_window_finds_the_planted_pair_with_strongest_alternatives():
    df = epistasis_window(pair_model(), FLANK_5 + core() + FLANK_3, window=(10, 40))
    assert list(df.columns) == COLUMNS and len(df) == 30 * 29 // 2
    top = df.iloc[np.abs(df["interaction"]).argmax()]
    assert (top["position_a"], top["position_b"]) == (POS_I, POS_J)
    assert top["interaction"] == pytest.approx(BONUS, abs=1e-4)
    assert top["mutation_a"] == f"{VARIABLE_START + POS_I + 1}C>A"
    assert top["mutation_b"] == f"{VARIABLE_START + POS_J + 1}G>T"
    W = np.random.default_rng(0).normal(scale=0.1, size=(SEQ_LEN, 4))  # pair_model's draw
    assert top["effect_a"] == pytest.approx(3.0 - W[VARIABLE_START + POS_I, 1], abs=1e-4)
    others = df.drop(index=top.name)["interaction"]
    assert np.abs(others).max() < 1e-4
    assert np.isnan(df["sd"]).all() and df.attrs["window"] == [10, 40]


def test_window_with_all_alternatives_reports_the_strongest_combination():
    df = epistasis_window(pair_model(), core(), window=(18, 33), alternatives="all")
    assert len(df) == 15 * 14 // 2
    top = df.iloc[np.abs(df["interaction"]).argmax()]
    assert (top["position_a"], top["position_b"]) == (POS_I, POS_J)
    assert top["interaction"] == pytest.approx(BONUS, abs=1e-4)
    assert top["mutation_a"] == f"{POS_I + 1}C>A"  # an 80 bp core: positions as given


def test_an_additive_model_has_no_epistasis():
    model, _, _ = linear_model(seed=5)
    df = epistasis(model, core(), window=(0, 80))
    assert len(df) == 80 * 79 // 2
    assert np.abs(df["interaction"]).max() < 1e-4


def test_picked_mutations_give_the_full_grid():
    seq = FLANK_5 + core() + FLANK_3
    a, b = f"{VARIABLE_START + POS_I + 1}C>A", f"{VARIABLE_START + POS_J + 1}G>T"
    ref_k = seq[VARIABLE_START + 50]
    other = {"A": "C", "C": "G", "G": "T", "T": "A"}[ref_k]
    c = f"{VARIABLE_START + 51}{ref_k}>{other}"
    pair = seq[VARIABLE_START + POS_J:VARIABLE_START + POS_J + 2]
    overlapping = f"{VARIABLE_START + POS_J + 1}{pair}>TT"
    df = epistasis_grid(pair_model(), seq, [a, b, c, overlapping])
    assert len(df) == 6
    got = df.set_index(["mutation_a", "mutation_b"])["interaction"]
    assert got[(a, b)] == pytest.approx(BONUS, abs=1e-4)
    assert abs(got[(a, c)]) < 1e-4 and abs(got[(b, c)]) < 1e-4
    assert np.isnan(got[(b, overlapping)])
    assert got[(a, overlapping)] == pytest.approx(BONUS, abs=1e-4)  # TT puts T at POS_J
    assert df.set_index("mutation_a").loc[a, "position_a"].iloc[0] == POS_I


def test_picked_mutations_on_an_80_bp_core_and_bad_ones():
    df = epistasis(pair_model(), core(), mutations=[f"{POS_I + 1}C>A", f"{POS_J + 1}G>T"])
    assert df.loc[0, "interaction"] == pytest.approx(BONUS, abs=1e-4)
    with pytest.raises(ValueError, match="the sequence has"):
        epistasis_grid(pair_model(), core(), [f"{POS_I + 1}G>A", f"{POS_J + 1}G>T"])
    with pytest.raises(ValueError, match="only substitutions"):
        epistasis_grid(pair_model(), core(), [f"{POS_I + 1}C>", f"{POS_J + 1}G>T"])
    with pytest.raises(ValueError, match="window"):
        epistasis_window(pair_model(), core(), window=(70, 90))
