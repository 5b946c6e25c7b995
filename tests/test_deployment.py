"""app/deployment.py: which bundled model is the default, and the environment overrides."""

from app.deployment import demo_run_path


def test_demo_is_the_ensemble_once_complete(tmp_path, monkeypatch):
    monkeypatch.delenv("PROMOTER_DEMO_RUN", raising=False)
    (tmp_path / "assets" / "demo_model").mkdir(parents=True)
    ensemble = tmp_path / "assets" / "demo_ensemble"
    (ensemble / "members" / "fold-0").mkdir(parents=True)  # members only: still training
    assert demo_run_path(tmp_path) == tmp_path / "assets" / "demo_model"
    (ensemble / "ensemble.json").write_text("{}")  # written last, after every member
    assert demo_run_path(tmp_path) == ensemble


def test_environment_overrides_the_default(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMOTER_DEMO_RUN", str(tmp_path / "mine"))
    assert demo_run_path(tmp_path) == tmp_path / "mine"


def test_single_demo_run_stays_offered_beside_the_ensemble(tmp_path, monkeypatch):
    from app.deployment import bundled_runs

    monkeypatch.delenv("PROMOTER_DEMO_RUN", raising=False)
    (tmp_path / "assets" / "demo_model").mkdir(parents=True)
    assert bundled_runs(tmp_path) == [tmp_path / "assets" / "demo_model"]
    (tmp_path / "assets" / "demo_ensemble").mkdir()
    (tmp_path / "assets" / "demo_ensemble" / "ensemble.json").write_text("{}")
    assert bundled_runs(tmp_path) == [tmp_path / "assets" / "demo_ensemble",
                                      tmp_path / "assets" / "demo_model"]
    monkeypatch.setenv("PROMOTER_DEMO_RUN", str(tmp_path / "mine"))
    assert bundled_runs(tmp_path) == [tmp_path / "mine"]


def test_the_family_split_ensemble_is_the_demo_once_finalised(tmp_path, monkeypatch):
    from app.deployment import bundled_runs, demo_run_path

    monkeypatch.delenv("PROMOTER_DEMO_RUN", raising=False)
    for name in ("family_ensemble", "demo_ensemble", "demo_model"):
        (tmp_path / "assets" / name).mkdir(parents=True)
    (tmp_path / "assets" / "demo_ensemble" / "ensemble.json").write_text("{}")
    # members still training: the earlier ensemble stays the demo
    assert demo_run_path(tmp_path) == tmp_path / "assets" / "demo_ensemble"
    (tmp_path / "assets" / "family_ensemble" / "ensemble.json").write_text("{}")
    assert demo_run_path(tmp_path) == tmp_path / "assets" / "family_ensemble"
    assert [p.name for p in bundled_runs(tmp_path)] == ["family_ensemble", "demo_ensemble",
                                                        "demo_model"]
