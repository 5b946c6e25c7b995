"""The dashboard on a shared server (issue 17, items 1, 2, 4, 7), under ``AppTest``.

* ``PROMOTER_LOCKED=1``: no free-text runs folder, only runs under ``PROMOTER_RUNS_DIR``
  (and the demo) are offered or loaded, nothing is said about other paths;
* a planted run whose ``MODEL_CARD.md`` links to a server file never shows that file;
* run-provided Markdown is rendered without remote images or links;
* the app writes its motif analysis outside the run folder;
* per-row values on the Predict page follow the row, not the id.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

MAIN = str(ROOT / "app" / "main.py")
SECRET = "SECRET-LINE-OF-A-SERVER-FILE"
CARD = ("# Tiny\n\nA tiny model ![tracker](https://evil.example/pixel.png) — "
        "[log in here](https://evil.example/login) or https://evil.example/raw.\n")
S1 = "TGCATTTTTTTCACATC" + "ACGTTGCA" * 10 + "GGTTACGGCTGTT"
S2 = "TGCATTTTTTTCACATC" + "GGGGCCCC" * 10 + "GGTTACGGCTGTT"
S3 = "TGCATTTTTTTCACATC" + "ATATATAT" * 10 + "GGTTACGGCTGTT"


@pytest.fixture
def env(tiny_run, tmp_path, monkeypatch):
    """Runs folder with a good run (card with links), a planted run, and a run outside."""
    from promoter_model.runs import write_checksums

    runs = tmp_path / "runs"
    good = runs / "good_run"
    shutil.copytree(tiny_run, good)
    (good / "MODEL_CARD.md").write_text(CARD)
    write_checksums(good)
    planted = runs / "planted_run"
    shutil.copytree(tiny_run, planted)
    secret = tmp_path / "server_secret.txt"
    secret.write_text(SECRET + "\n")
    (planted / "MODEL_CARD.md").symlink_to(secret)
    outside = tmp_path / "elsewhere" / "outside_run"
    shutil.copytree(tiny_run, outside)
    monkeypatch.setenv("PROMOTER_DEMO_RUN", str(good))
    monkeypatch.setenv("PROMOTER_RUNS_DIR", str(runs))
    monkeypatch.setenv("PROMOTER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PROMOTER_LOCKED", raising=False)
    return {"runs": runs, "good": good, "planted": planted, "outside": outside,
            "tmp": tmp_path}


def _app() -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=120)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _all_text(at) -> str:
    parts = []
    for kind in ("markdown", "caption", "error", "warning", "info", "text"):
        parts += [getattr(e, "value", "") or "" for e in at.get(kind)]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("flag", ["1", "true", "YES"])
def test_locked_has_no_folder_box_and_offers_only_the_root(env, monkeypatch, flag):
    monkeypatch.setenv("PROMOTER_LOCKED", flag)
    at = _app()
    assert len(at.sidebar.text_input) == 0
    options = at.sidebar.selectbox(key="run_label").options
    assert all("outside_run" not in o for o in options)
    assert "does not exist" not in _all_text(at)
    # a session that asks for another folder still gets the configured one
    at.session_state["runs_dir"] = "/etc"
    at.run()
    assert at.session_state["runs_dir"] == str(env["runs"])
    assert "passwd" not in _all_text(at)


def test_locked_refuses_a_run_outside_the_root(env, monkeypatch):
    monkeypatch.setenv("PROMOTER_LOCKED", "1")
    at = _app()
    at.session_state["run_path"] = str(env["outside"].resolve())
    at.run()
    assert "outside_run" not in " ".join(m.value for m in at.sidebar.markdown)
    from app import deployment as services

    assert not services.run_allowed(env["outside"])
    assert not services.run_allowed(env["runs"] / ".." / "elsewhere" / "outside_run")
    assert services.run_allowed(env["runs"] / "good_run")


def test_unlocked_keeps_the_folder_box(env):
    at = _app()
    assert len(at.sidebar.text_input) == 1


@pytest.mark.parametrize("listed", [False, True])
def test_planted_card_link_is_never_shown(env, listed):
    if listed:  # the planter even lists the link's checksum by hand
        import json

        from promoter_model.runs import sha256_file

        sums_file = env["planted"] / "checksums.json"
        sums = json.loads(sums_file.read_text())
        sums["MODEL_CARD.md"] = sha256_file(env["planted"] / "MODEL_CARD.md")
        sums_file.write_text(json.dumps(sums))
    at = _app()
    labels = at.sidebar.selectbox(key="run_label").options
    if listed:
        assert "planted_run" not in labels  # refused: a link inside the run folder
        at.session_state["run_path"] = str(env["planted"].resolve())  # even if forced
        at.run()
    else:  # the run is sound, its unlisted card is simply not shown
        at.sidebar.selectbox(key="run_label").set_value("planted_run").run()
        assert any("planted_run" in m.value for m in at.sidebar.markdown)
    assert not at.exception
    assert SECRET not in _all_text(at)
    at.switch_page("views/model_card.py").run()  # the card's own page
    assert not at.exception
    assert SECRET not in _all_text(at)


def test_run_markdown_has_no_remote_images_or_links(env):
    at = _app()
    at.switch_page("views/model_card.py").run()  # the card has a page of its own
    assert not at.exception
    text = _all_text(at)
    assert "tracker" in text or "A tiny model" in text  # the card is shown ...
    assert "](https://" not in text and "![" not in text  # ... without image or link
    assert "evil.example/pixel.png" not in text


def test_app_motif_analysis_is_written_outside_the_run(env, tiny_run):
    from app import deployment as services
    from app.cache import motifs as motif_services
    from promoter_model.interpret.filters import compute_motifs, load_motifs
    from promoter_model.runs import load_run
    from promoter_model.sequence import one_hot
    from tests.conftest import random_promoters

    run = env["good"]
    cache = services.motif_cache_dir(run)
    assert run.resolve() not in cache.resolve().parents
    X = one_hot(random_promoters(32, seed=4))
    compute_motifs(run, X, None, model=load_run(run).model, n_null=5, influence=False,
                   cache_dir=cache)
    assert not (run / "motifs").exists()
    assert load_motifs(run, cache_dir=cache)["meta"]["filters"] > 0
    assert motif_services.run_motifs.__wrapped__(str(run), 0.0) is not None


def test_an_unwritable_motif_cache_is_named_before_any_work(env, monkeypatch):
    """Issue 29, item 10: the cache folder (not the run folder) is named, before the
    reference set is built or a filter analysed.
    """
    from app.cache import motifs as motif_services
    from app.cache import runs as run_cache
    from promoter_model.interpret import reference

    (env["tmp"] / "cache").mkdir(exist_ok=True)
    (env["tmp"] / "cache" / "motifs").write_text("a file where the cache folder goes")

    def no_work(*a, **k):
        raise AssertionError("the analysis started before the cache was checked")

    monkeypatch.setattr(reference, "filter_reference", no_work)
    run = env["good"]
    with pytest.raises(OSError, match="cache folder .* cannot be written") as err:
        motif_services.compute_run_motifs(str(run), run_cache.run_stamp(run))
    assert "PROMOTER_CACHE_DIR" in str(err.value) and str(run) not in str(err.value)


def test_predict_page_values_follow_rows_not_ids(env):
    from promoter_model.interpret.ism import ism
    from promoter_model.interpret.ism_summary import mutational_robustness, robustness_score
    from promoter_model.runs import load_run
    from promoter_model.sequence import one_hot

    at = _app()
    at.multiselect(key="predict_examples").set_value([])
    at.text_area(key="predict_text").input(f">x\n{S1}\n>x\n{S2}\n>x_2\n{S3}\n").run()
    assert not at.exception
    df = [d.value for d in at.dataframe if "robustness" in d.value.columns][0]
    assert df["id"].tolist() == ["x", "x_3", "x_2"]
    model = load_run(env["good"]).model
    scores = ism(model, one_hot([S1, S2, S3]))[0]
    want = [robustness_score(mutational_robustness(scores[i], s), 0.1)
            for i, s in enumerate([S1, S2, S3])]
    np.testing.assert_allclose(df["robustness"].to_numpy(float), want, atol=1e-6)


def test_get_run_refuses_paths_outside_the_root_when_locked(env, monkeypatch):
    monkeypatch.setenv("PROMOTER_LOCKED", "1")
    from app.cache import runs as services
    from promoter_model.runs import RunError

    with pytest.raises(RunError, match="not a run of this server's runs folder"):
        services.get_predictor.__wrapped__(str(env["outside"]), 0.0)
    assert os.environ["PROMOTER_LOCKED"] == "1"
