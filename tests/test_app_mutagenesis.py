"""The Mutagenesis page under ``streamlit.testing.v1.AppTest``, on the ``tiny_run`` fixture:
heatmap, logo, tables and trajectory; positions of unknown bases; compare mode. The charts'
data are read from the plotly spec each page sent (``app_pages_fixture``).
"""

from __future__ import annotations

import numpy as np
import pytest
from app_pages_fixture import (
    GOOD,
    app_test,
    apply_mutation,
    by_title,
    charts,
    df_of,
    ok,
)


def test_mutagenesis_heatmap_logo_tables_and_trajectory(app_env):
    from promoter_model.model.predict import predict_sequences
    from promoter_model.runs import load_run

    at = app_test("mutagenesis")
    at.text_area(key="mut_input").input(GOOD).run()
    ok(at)
    specs = charts(at)
    heat = by_title(specs, "Predicted effect of every single mutation")
    z = np.asarray(heat["data"][0]["z"])
    assert z.shape == (4, 110) and heat["data"][0]["zmid"] == 0
    ref = np.array(["ACGT".index(b) for b in GOOD])
    assert np.all(z[ref, np.arange(110)] == 0)
    assert list(heat["data"][1]["y"]) == list(GOOD)
    assert len(at.get("image")) >= 1  # the attribution logo
    top = df_of(at, "change")
    assert (top["change"] > 0).all()
    up = top.iloc[0]  # flank mutations are left out by default: the variable region's best
    assert np.isclose(up["change"], z[:, 17:97].max(), atol=1e-6)
    assert top["mutation"].str.extract(r"^(\d+)")[0].astype(int).between(18, 97).all()
    assert len(df_of(at, "path")) == 1

    # keyboard path: apply 30 -> base, re-predicted, appended to the trajectory
    base = apply_mutation(at, 30)
    ok(at)
    traj = df_of(at, "path")
    assert traj["mutation"].tolist() == ["input", f"30{GOOD[29]}>{base}"]
    mutant = GOOD[:29] + base + GOOD[30:]
    model = load_run(app_env["demo"]).model
    assert traj["predicted"].iloc[1] == pytest.approx(
        float(predict_sequences(model, [mutant])[0]), abs=1e-5)
    assert np.isclose(traj["predicted"].iloc[1] - traj["predicted"].iloc[0],
                      z["ACGT".index(base), 29], atol=1e-5)
    heat = by_title(charts(at), "step 1")
    assert list(heat["data"][1]["y"])[29] == base
    assert by_title(charts(at), "Mutation trajectory")

    # absolute colour range and another attribution method
    at.radio(key="mut_scale").set_value("absolute").run()
    ok(at)
    at.selectbox(key="mut_method").set_value("gradient_x_input").run()
    ok(at)
    heat = by_title(charts(at), "step 1")
    assert heat["data"][0]["zmax"] == pytest.approx(at.number_input(key="mut_zmax").value)

    at.button[[b.label for b in at.button].index("Undo last step")].click().run()
    ok(at)
    assert len(df_of(at, "path")) == 1


def test_mutagenesis_n_positions_unknown_not_offered(app_env):
    at = app_test("mutagenesis")
    at.text_area(key="mut_input").input(GOOD[10:]).run()  # 100 bp: 10 N on the 5' side
    ok(at)
    assert any("padded with 10 N" in i.value for i in at.info)
    heat = by_title(charts(at), "Predicted effect of every single mutation")
    z = np.asarray(heat["data"][0]["z"], dtype=float)
    assert np.isnan(z[:, :10]).all() and np.isfinite(z[:, 10:]).all()
    grid = heat["data"][2]
    assert min(grid["x"]) == 11 and len(grid["x"]) == 400  # no clickable N cells
    assert heat["data"][3]["name"] == "unknown" and "N (unknown base)" in \
        heat["data"][3]["hovertemplate"]
    labels = [a["text"] for a in heat["layout"]["annotations"]]
    assert "1-17 (not the 5' flank)" in labels and "3' flank" in labels
    assert at.selectbox(key="mut_form_pos").options[0].startswith("11 (")
    at.toggle(key="mut_top_flanks").set_value(True).run()  # flank mutations listed too
    for table in [d.value for d in at.dataframe if "flank" in d.value.columns]:
        assert not table["mutation"].str.contains("N>").any()
    # the bare 80 bp variable region is the flanked sequence: the full flank labels
    at.text_area(key="mut_input").input(GOOD[17:97]).run()
    ok(at)
    assert any("read as the variable region" in i.value for i in at.info)
    heat = by_title(charts(at), "Predicted effect of every single mutation")
    assert "5' flank" in [a["text"] for a in heat["layout"]["annotations"]]
    assert np.isfinite(np.asarray(heat["data"][0]["z"], dtype=float)).all()


def test_mutagenesis_compare_mode(app_env):
    at = app_test("mutagenesis")
    at.button_group(key="mut_mode").set_value("Compare two sequences").run()
    ok(at)
    alt = GOOD[:49] + ("A" if GOOD[49] != "A" else "C") + GOOD[50:]
    at.text_area(key="cmp_ref").input(GOOD)
    at.text_area(key="cmp_alt").input(alt).run()
    ok(at)
    labels = [m.label for m in at.metric]
    assert labels[2] == "Difference (variant − reference)"
    specs = charts(at)
    ref, var = by_title(specs, "Reference"), by_title(specs, "Variant")
    diff = by_title(specs, "Difference of ISM maps")
    np.testing.assert_allclose(np.asarray(diff["data"][0]["z"]),
                               np.asarray(var["data"][0]["z"]) - np.asarray(ref["data"][0]["z"]),
                               atol=1e-6)
    assert any("50" in c.value for c in at.caption)


