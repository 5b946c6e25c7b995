"""Spacing scans: a planted cooperative pair peaks at its spacing and orientation only."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from toy_models import linear_ensemble, linear_model

from promoter_model.grammar.backgrounds import draw_backgrounds
from promoter_model.grammar.spacing import (
    COLUMNS,
    ORIENTATIONS,
    spacing_members,
    spacing_scan,
)
from promoter_model.sequence import SEQ_LEN

A, B = "TTACCCG", "GATGAGC"  # neither is its own reverse complement


def exact(site: str):
    k = len(site)
    w = -np.ones((k, 4, 1), np.float32)
    w[np.arange(k), ["ACGT".index(c) for c in site], 0] = 1.0
    return [w, np.array([-(k - 1)], np.float32)]


def cooperative_model(spacing: int, bonus: float = 2.0) -> keras.Model:
    """``f = #A + 0.5 #B + bonus * #(A then B, ``spacing`` bases apart, both forward)``,
    counting exact forward-strand sites only.
    """
    k = len(A)
    x = keras.Input((SEQ_LEN, 4))
    conv_a, conv_b = keras.layers.Conv1D(1, k), keras.layers.Conv1D(1, k)
    a, b = keras.layers.ReLU()(conv_a(x)), keras.layers.ReLU()(conv_b(x))
    d = k + spacing
    pair = keras.layers.Multiply()([keras.layers.Cropping1D((0, d))(a),
                                    keras.layers.Cropping1D((d, 0))(b)])
    flat = keras.layers.Concatenate()([keras.layers.Flatten()(t) for t in (a, b, pair)])
    dense = keras.layers.Dense(1)
    model = keras.Model(x, dense(flat))
    conv_a.set_weights(exact(A))
    conv_b.set_weights(exact(B))
    n = SEQ_LEN - k + 1
    weights = np.concatenate([np.ones(n), np.full(n, 0.5), np.full(n - d, bonus)])
    dense.set_weights([weights.astype(np.float32)[:, None], np.zeros(1, np.float32)])
    return model


@pytest.fixture(scope="module")
def backgrounds():
    return draw_backgrounds(10, seed=2)


def test_cooperative_pair_peaks_at_its_spacing_in_its_orientation_only(backgrounds):
    df = spacing_scan(cooperative_model(5), A, B, spacings=range(13), backgrounds=backgrounds)
    assert list(df.columns) == COLUMNS
    assert len(df) == 13 * 4 and set(df["orientation"]) == set(ORIENTATIONS)
    table = df.pivot(index="spacing", columns="orientation", values="interaction")
    assert table.loc[5, "++"] == pytest.approx(2.0, abs=1e-4)
    rest = table.to_numpy().copy()
    rest[5, list(table.columns).index("++")] = 0.0
    assert np.abs(rest).max() < 1e-4  # flat everywhere else
    assert df.attrs["n_backgrounds"] == 10 and df.attrs["seed"] == 2
    assert df.attrs["sites"] == [A, B]


def test_single_sites_are_their_additive_effects(backgrounds):
    r = spacing_members(cooperative_model(5), A, B, spacings=[0, 9], backgrounds=backgrounds,
                        orientations=["++", "-+"])
    assert r["interaction"].shape == (1, 10, 2, 2)
    np.testing.assert_allclose(r["alone"]["A"][:, 0], 1.0, atol=1e-4)  # + strand
    np.testing.assert_allclose(r["alone"]["B"][:, 0], 0.5, atol=1e-4)
    np.testing.assert_allclose(r["alone"]["A"][:, 1], 0.0, atol=1e-4)  # reversed: unseen


def test_an_additive_model_has_no_interaction_anywhere(backgrounds):
    model, _, _ = linear_model(seed=3)
    df = spacing_scan(model, "ACGTTGCA", "GGATCC", backgrounds=backgrounds)
    assert len(df) == 31 * 4
    assert np.abs(df["interaction"]).max() < 1e-4


def test_an_ensemble_folder_gives_members_sd(tmp_path, backgrounds):
    root, _ = linear_ensemble(tmp_path / "ens")
    df = spacing_scan(str(root), "ACGT", "TTGA", spacings=[0, 3], backgrounds=backgrounds)
    assert df.attrs["members"] == 2
    assert np.abs(df["interaction"]).max() < 1e-4 and np.abs(df["sd"]).max() < 1e-4


def test_bad_spacings_and_positions_are_refused(backgrounds):
    model = cooperative_model(5)
    with pytest.raises(ValueError, match=">= 0"):
        spacing_scan(model, A, B, spacings=[-1], backgrounds=backgrounds)
    with pytest.raises(ValueError, match="orientations"):
        spacing_scan(model, A, B, orientations=["+x"], backgrounds=backgrounds)
    with pytest.raises(ValueError, match="variable region has 80"):
        spacing_scan(model, A, B, spacings=[30], position=40, backgrounds=backgrounds)
