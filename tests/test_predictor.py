"""One predictor for a run or an ensemble: exact mean and sd of toy members, RC averaging,
the func hook, and refusal of inconsistent or tampered ensemble folders.
"""

import json

import numpy as np
import pytest
from toy_models import linear_ensemble

from promoter_model.predictor import DEFAULT_UNIT, load_predictor
from promoter_model.runs import RunError
from promoter_model.runs.ensemble import write_ensemble
from promoter_model.sequence import one_hot, reverse_complement_one_hot


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory):
    """Two linear members ``f_k(x) = sum(W_k * x) + 0.5`` in an ensemble folder."""
    return linear_ensemble(tmp_path_factory.mktemp("ens") / "two_linear")


def exact(W, X):
    return np.einsum("nlb,lb->n", X, W) + 0.5


def test_ensemble_mean_and_sd_are_exact(ensemble, promoters):
    root, (W0, W1) = ensemble
    pred = load_predictor(root)
    assert pred.is_ensemble and len(pred.members) == 2 and pred.unit == "toy units"
    assert pred.model_card.startswith("# Two linear toys") and pred.metrics == {"note": "none"}
    assert pred.input_length == 110
    X = one_hot(promoters[:16])
    f0, f1 = exact(W0, X), exact(W1, X)
    mean, sd = pred.predict(X, batch_size=5)
    np.testing.assert_allclose(mean, (f0 + f1) / 2, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(sd, np.abs(f0 - f1) / 2, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(pred.predict_members(X), np.stack([f0, f1]), atol=1e-4)
    # one sequence (L, 4) works too
    m1, s1 = pred.predict(X[0])
    assert m1.shape == (1,) and s1[0] == pytest.approx(sd[0], abs=1e-4)


def test_func_hook_scores_each_member_before_averaging(ensemble, promoters):
    root, (W0, W1) = ensemble
    X = one_hot(promoters[:8])
    f0, f1 = exact(W0, X), exact(W1, X)
    mean, sd = load_predictor(root).predict(X, func=np.square)
    np.testing.assert_allclose(mean, (f0**2 + f1**2) / 2, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(sd, np.abs(f0**2 - f1**2) / 2, rtol=1e-4, atol=1e-3)


def test_reverse_complement_averaging(ensemble, promoters):
    root, (W0, _W1) = ensemble
    pred = load_predictor(root / "members" / "fold-0")
    X = one_hot(promoters[:8])
    assert not pred.is_ensemble and pred.unit == "toy units"
    mean, sd = pred.predict(X)
    assert sd is None
    np.testing.assert_allclose(mean, exact(W0, X), atol=1e-4)
    pred.rc_average = True
    mean_rc, _ = pred.predict(X)
    expected = (exact(W0, X) + exact(W0, reverse_complement_one_hot(X))) / 2
    np.testing.assert_allclose(mean_rc, expected, atol=1e-4)


def test_single_run_loads_as_today(tiny_run):
    pred = load_predictor(tiny_run)
    assert pred.members[0].path == tiny_run and pred.unit == DEFAULT_UNIT
    assert pred.config.preset == "tiny"


def test_unit_from_config_then_metrics_never_from_notes(tiny_run, tmp_path):
    import json
    import shutil

    from promoter_model.runs import write_checksums

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    config = json.loads((run / "config.json").read_text())
    config["notes"] = "predicts log2 fluorescence"  # free text is never read as the unit
    (run / "config.json").write_text(json.dumps(config))
    write_checksums(run)
    assert load_predictor(run).unit == DEFAULT_UNIT
    metrics = json.loads((run / "metrics.json").read_text())
    (run / "metrics.json").write_text(json.dumps({**metrics, "unit": "MAUDE  units"}))
    write_checksums(run)
    assert load_predictor(run).unit == "MAUDE units"  # an older run: unit in metrics.json
    config["unit"] = "log2 GFP/RFP"
    (run / "config.json").write_text(json.dumps(config))
    write_checksums(run)
    assert load_predictor(run).unit == "log2 GFP/RFP"  # config.json wins


def test_tampered_or_inconsistent_ensembles_are_refused(ensemble, tmp_path):
    import shutil

    root, _ = ensemble
    bad = tmp_path / "bad"
    shutil.copytree(root, bad)
    spec = json.loads((bad / "ensemble.json").read_text())
    # edited after it was written: checksum mismatch
    (bad / "ensemble.json").write_text(json.dumps(dict(spec, unit="other")))
    with pytest.raises(RunError, match="ensemble.json does not match its checksum"):
        load_predictor(bad)
    # a member outside the ensemble folder
    with pytest.raises(RunError, match="outside"):
        write_ensemble(bad, ["../elsewhere"])
    # members in different units
    write_ensemble(bad, ["members/fold-0", "members/fold-1"], unit="MAUDE")
    with pytest.raises(RunError, match="different units"):
        load_predictor(bad)
    # no checksums: not a complete ensemble
    (bad / "checksums.json").unlink()
    with pytest.raises(RunError, match="checksums.json is missing"):
        load_predictor(bad)


def exact_ism(W, x):
    """ISM of a linear model: ``W[i, b] - W[i, ref_i]``."""
    return W - (W * x).sum(axis=-1, keepdims=True)


def test_ensemble_ism_mean_and_sd_are_exact(ensemble, promoters):
    from promoter_model.interpret.ism import ism

    root, (W0, W1) = ensemble
    pred = load_predictor(root)
    X = one_hot(promoters[:3])
    mean, sd = ism(pred, X, chunk=2)
    e0 = np.stack([exact_ism(W0, x) for x in X])
    e1 = np.stack([exact_ism(W1, x) for x in X])
    assert mean.shape == sd.shape == (3, 110, 4)
    np.testing.assert_allclose(mean, (e0 + e1) / 2, atol=1e-4)
    np.testing.assert_allclose(sd, np.abs(e0 - e1) / 2, atol=1e-4)
    # strings are fitted to the predictor's length; one sequence gives the mean
    np.testing.assert_allclose(ism(pred, promoters[0])[0][0], mean[0], atol=1e-5)
    # a single member: sd is None and the effect is that member's
    m0, s0 = ism(load_predictor(root / "members" / "fold-0"), X[:1])
    assert s0 is None
    np.testing.assert_allclose(m0[0], e0[0], atol=1e-4)


def test_ensemble_ism_func_hook(ensemble, promoters):
    from promoter_model.interpret.ism import ism

    root, (W0, W1) = ensemble
    x = one_hot(promoters[:1])
    mean, sd = ism(load_predictor(root), x, func=np.square)
    f0, f1 = exact(W0, x)[0], exact(W1, x)[0]
    e0 = (f0 + exact_ism(W0, x[0])) ** 2 - f0 ** 2
    e1 = (f1 + exact_ism(W1, x[0])) ** 2 - f1 ** 2
    np.testing.assert_allclose(mean[0], (e0 + e1) / 2, atol=1e-3)
    np.testing.assert_allclose(sd[0], np.abs(e0 - e1) / 2, atol=1e-3)


def test_ensemble_variant_effects_mean_and_sd(ensemble, promoters):
    from promoter_model.interpret.variants import motif_scan, variant_effect

    root, (W0, W1) = ensemble
    pred = load_predictor(root)
    ref = promoters[0]
    pos = 40  # 0-based
    alt_base = "A" if ref[pos] != "A" else "C"
    alt = ref[:pos] + alt_base + ref[pos + 1:]
    df = variant_effect(pred, ref, [alt], ids=["snv"])
    x = one_hot([ref])[0]
    b = "ACGT".index(alt_base)
    d0, d1 = exact_ism(W0, x)[pos, b], exact_ism(W1, x)[pos, b]
    assert list(df.columns) == ["id", "ref_pred", "alt_pred", "delta", "delta_sd",
                                "members_disagree", "fit_note"]
    assert df["delta"][0] == pytest.approx((d0 + d1) / 2, abs=1e-4)
    assert df["delta_sd"][0] == pytest.approx(abs(d0 - d1) / 2, abs=1e-4)
    assert df["ref_pred"][0] == pytest.approx((exact(W0, x[None]) + exact(W1, x[None]))[0] / 2,
                                              abs=1e-4)
    # a single run keeps today's columns
    single = variant_effect(load_predictor(root / "members" / "fold-0"), ref, [alt])
    assert "delta_sd" not in single.columns
    assert single["delta"][0] == pytest.approx(d0, abs=1e-4)
    # a motif scan of one base at one position is that substitution
    scan = motif_scan(pred, ref, alt_base, region=(pos, pos + 1))
    assert scan["delta"][0] == pytest.approx((d0 + d1) / 2, abs=1e-4)
    assert scan["delta_sd"][0] == pytest.approx(abs(d0 - d1) / 2, abs=1e-4)
