"""The Training page under ``streamlit.testing.v1.AppTest``, on the ``tiny_run`` fixture:
curves, metrics and the test scatter; weak spots read from ``metrics.json``.
"""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
from app_pages_fixture import ROOT, app_test, by_title, charts, df_of, ok


def test_training_curves_metrics_and_test_scatter(app_env):
    at = app_test("training")
    ok(at)
    specs = charts(at)
    r2 = by_title(specs, "Validation R²")
    np.testing.assert_allclose(r2["data"][0]["y"], [0.1, 0.2])
    loss = by_title(specs, "Loss per epoch")
    assert [t["name"] for t in loss["data"]] == ["demo_model", "demo_model: val_loss"]
    # a run's loss and validation loss: one colour, one legend entry
    assert loss["data"][0]["line"]["color"] == loss["data"][1]["line"]["color"]
    assert [t.get("showlegend", True) for t in loss["data"]] == [True, False]
    sc = by_title(specs, "n = ")
    assert sc["layout"]["meta"]["n"] == 9_045 and len(sc["data"][0]["x"]) == 9_045
    labels = {m.label: m.value for m in at.metric}
    assert labels["Test Pearson r"] == "0.450" and labels["Test R²"] == "0.200"
    assert labels["Test sequences"] == "10"
    assert any("metrics.json (raw)" in e.label for e in at.expander)
    dream = df_of(at, "subset")
    assert dream["subset"].tolist()[:2] == ["all", "random"] and len(dream) == 9
    assert dream["what"].str.len().min() > 10  # every subset explained in a line
    # no raw "None" / NaN cells in any table of the page
    for el in at.dataframe:
        df = el.value
        assert not df.isna().any().any(), df
        assert not df.astype(str).isin(["None", "nan"]).any().any(), df
    # overlay the other run
    other = str(app_env["other"].resolve())
    at.multiselect(key="training_overlay").set_value([other]).run()
    ok(at)
    r2 = by_title(charts(at), "Validation R²")
    assert [t["name"] for t in r2["data"]] == ["demo_model: val_r2", "other_run: val_r2"]
    np.testing.assert_allclose(r2["data"][1]["y"], [0.05, 0.15])


def test_training_weak_spots_from_metrics_json(app_env, tmp_path):
    from promoter_model.dream import WEAK_R2
    from promoter_model.runs import write_checksums

    run = tmp_path / "dream_run"
    shutil.copytree(app_env["demo"], run)
    demo_metrics = json.loads((ROOT / "assets" / "demo_model" / "metrics.json").read_text())
    (run / "metrics.json").write_text(json.dumps(demo_metrics))
    write_checksums(run)
    old = os.environ["PROMOTER_DEMO_RUN"]
    os.environ["PROMOTER_DEMO_RUN"] = str(run)
    try:
        at = app_test("training")
        ok(at)
    finally:
        os.environ["PROMOTER_DEMO_RUN"] = old
    saved = demo_metrics["dream_public_leaderboard"]
    weak = [w.value for w in at.warning if "Weak spots" in w.value]
    assert len(weak) >= 1
    # scored on the public rows, split by hash: the page says the rows share families
    assert any("split by sequence hash, not by family" in w.value and "include single" in w.value
               and "public-leaderboard rows" in w.value for w in at.warning)
    for subset, label in (("high", "high expression"), ("low", "low expression"),
                          ("SNVs", "SNV differences")):
        assert saved[f"pearson_r2_{subset}"] < WEAK_R2
        assert f"{label} (r² {saved[f'pearson_r2_{subset}']:.2f})" in weak[0]
    assert "yeast" not in weak[0]
    table = df_of(at, "what")
    assert table.loc[table["subset"] == "high", "weak"].item() == "weak"
    assert table.loc[table["subset"] == "yeast", "weak"].item() == ""


