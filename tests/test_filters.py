"""First-layer filters on the REB1 toy (Conv1D) and the tiny run (ReverseComplementConv1D)."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
from toy_models import REB1_COUNTS, REB1_ID, promoter_with_site, reb1_log_odds, reb1_model

from promoter_model.interpret import filters
from promoter_model.model.architectures import first_conv_layer
from promoter_model.model.predict import predict
from promoter_model.motifs.pfm import consensus, sample_motif_sequence
from promoter_model.runs import check_run, load_run
from promoter_model.sequence import one_hot


@pytest.fixture(scope="module")
def reb1():
    return reb1_model()


@pytest.fixture(scope="module")
def reb1_reference():
    """200 promoters, each with one REB1 site sampled from the matrix at a random place."""
    rng = np.random.default_rng(1)
    seqs = [promoter_with_site(sample_motif_sequence(REB1_COUNTS, rng),
                               start=int(rng.integers(17, 85)), seed=i) for i in range(200)]
    return one_hot(seqs)


def test_filter_weights_conv1d(reb1):
    w = filters.filter_weights(reb1)
    assert w.shape == (1, 9, 4)
    np.testing.assert_allclose(w[0], reb1_log_odds())


def test_filter_weights_and_activations_rc_conv(tiny_run, promoters):
    model = load_run(tiny_run).model
    layer = first_conv_layer(model)
    kernel = keras.ops.convert_to_numpy(layer.kernel)
    w = filters.filter_weights(model)
    assert w.shape == (8, 7, 4)
    np.testing.assert_allclose(w, kernel.transpose(2, 0, 1))
    X = one_hot(promoters[:10])
    act = filters.filter_activations(model, X)
    sub = keras.Model(model.input, layer.output)
    expected = keras.ops.convert_to_numpy(sub(X))[:, 0]  # forward strand
    assert act.shape == (10, 110, 8)
    np.testing.assert_allclose(act, expected, atol=1e-4)


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_filter_activations_conv1d_match_layer(padding, promoters):
    model = reb1_model(padding=padding)
    X = one_hot(promoters[:4])
    layer = first_conv_layer(model)
    expected = keras.ops.convert_to_numpy(keras.Model(model.input, layer.output)(X))
    act = filters.filter_activations(model, X)
    assert act.shape == expected.shape == (4, 110 if padding == "same" else 102, 1)
    np.testing.assert_allclose(act, expected, atol=1e-4)


def test_activation_pfm_recovers_reb1(reb1, reb1_reference):
    pfms, counts = filters.activation_pfms(reb1, reb1_reference, threshold=0.5)
    assert pfms.shape == (1, 9, 4)
    np.testing.assert_allclose(pfms.sum(-1), 1)
    assert counts[0] >= 120  # most planted sites pass half the maximum (145 seen)
    assert consensus(pfms[0])[1:8] == "TTACCCG"
    ic = filters.information_content(pfms[0])
    assert (ic[1:7] > 1.5).all()  # the core is well defined


def test_activation_pfm_single_site_exact(reb1):
    seq = promoter_with_site("ATTACCCGG", start=40, seed=2)
    pfm, counts = filters.activation_pfms(reb1, one_hot(seq), threshold=0.99)
    assert counts[0] == 1
    assert consensus(pfm[0]) == "ATTACCCGG"
    assert pfm[0].max(-1).min() == 1.0


def test_information_content_values():
    pfm = np.array([[1, 0, 0, 0], [0.25] * 4, [0.5, 0.5, 0, 0]], float)
    np.testing.assert_allclose(filters.information_content(pfm), [2, 0, 1])


def test_weights_to_pfm_prefers_high_weights():
    w = np.log(np.array([[[0.7, 0.1, 0.1, 0.1]]]) / 0.25)
    np.testing.assert_allclose(filters.weights_to_pfm(w), [[[0.7, 0.1, 0.1, 0.1]]], atol=1e-9)


def test_filter_influence_single_filter(reb1, reb1_reference):
    pred = predict(reb1, reb1_reference)
    y = pred + np.random.default_rng(0).normal(scale=0.1, size=len(pred))
    df = filters.filter_influence(reb1, reb1_reference, y)
    assert list(df.columns) == ["filter", "mean_abs_change", "mean_change", "r_drop"]
    # zeroing the only filter leaves relu(bias) = 0: the change is minus every prediction
    assert df["mean_abs_change"][0] == pytest.approx(np.abs(pred).mean(), rel=1e-4)
    r = np.corrcoef(pred, y)[0, 1]
    assert df["r_drop"][0] == pytest.approx(r, rel=1e-4)
    # the original model is untouched
    np.testing.assert_allclose(predict(reb1, reb1_reference), pred)


@pytest.mark.slow
def test_filter_influence_rc_conv(tiny_run, promoters):
    model = load_run(tiny_run).model
    before = filters.filter_weights(model)
    df = filters.filter_influence(model, one_hot(promoters[:16]))
    assert len(df) == 8 and df["r_drop"].isna().all()
    assert (df["mean_abs_change"] >= 0).all() and df["mean_abs_change"].max() > 0
    np.testing.assert_array_equal(filters.filter_weights(model), before)


@pytest.mark.slow
def test_compute_and_load_motifs(fresh_run, promoters):
    X = one_hot(promoters)
    y = np.linspace(0, 1, len(promoters))
    before = set(p.name for p in fresh_run.iterdir())
    result = filters.compute_motifs(fresh_run, X, y, threshold=0.6, n_null=20)
    after = set(p.name for p in fresh_run.iterdir())
    assert after - before <= {"motifs"}
    files = sorted(p.name for p in (fresh_run / "motifs").iterdir())
    assert files == ["filters.npz", "influence.json", "matches.json", "meta.json"]
    check_run(fresh_run)  # checksummed files untouched
    loaded = filters.load_motifs(fresh_run)
    assert loaded is not None
    assert loaded["pfms"].shape == (8, 7, 4) and loaded["counts"].shape == (8,)
    np.testing.assert_allclose(loaded["weights"], filters.filter_weights(load_run(fresh_run).model))
    np.testing.assert_allclose(loaded["pfms"], result["pfms"])
    assert len(loaded["influence"]) == 8 and loaded["influence"]["r_drop"].notna().all()
    m = loaded["matches"]
    assert set(m["filter"]) <= set(range(8)) and (m.groupby("filter").size() <= 3).all()
    assert {"id", "name", "score", "offset", "strand", "p_value"} <= set(m.columns)
    meta = json.loads((fresh_run / "motifs" / "meta.json").read_text())
    assert meta["threshold"] == 0.6 and meta["n_reference"] == 64
    with np.load(fresh_run / "motifs" / "filters.npz", allow_pickle=False) as z:
        assert all(z[k].dtype != object for k in z.files)


def test_load_motifs_missing_or_stale(tmp_path, tiny_run, promoters):
    assert filters.load_motifs(tmp_path) is None
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(tiny_run, copy)
    filters.compute_motifs(copy, one_hot(promoters[:8]), influence=False, n_null=5)
    assert filters.load_motifs(copy) is not None
    sums = json.loads((copy / "checksums.json").read_text())
    sums["model.keras"] = "0" * 64  # a different model now lives in the run
    (copy / "checksums.json").write_text(json.dumps(sums))
    assert filters.load_motifs(copy) is None
    assert filters.load_motifs(copy, check_model=False) is not None


def test_reb1_toy_filter_matches_reb1_first(tmp_path, reb1, reb1_reference):
    result = filters.compute_motifs(tmp_path, reb1_reference, model=reb1)
    best = result["matches"].query("filter == 0").iloc[0]
    assert best["id"] == REB1_ID and best["name"] == "REB1"
    assert best["p_value"] < 1e-3
