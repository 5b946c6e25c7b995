"""Settings of a deployment: the runs root (locked or not), the app's own cache, batch
size, safe text.

PROMOTER_LOCKED     1/true/yes: only the demo run and runs directly under PROMOTER_RUNS_DIR
                    are offered or loaded; the runs folder cannot be changed from the page
PROMOTER_CACHE_DIR  where the app writes its caches (default: a private folder, mode 0700,
                    in the system temp dir); the app never writes into a run folder
PROMOTER_DEMO_RUN   the bundled model shown by default (the family-split ensemble once it is
                    finalised, else the earlier demo ensemble, else the demo run)
PROMOTER_RUNS_DIR   folder whose sub-folders are offered as runs (``runs/`` in the repo)
PROMOTER_MAX_RECORDS  most sequences accepted in one batch (1000)
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def demo_run_path(root: Path = ROOT) -> Path:
    """The bundled model shown by default (``PROMOTER_DEMO_RUN`` overrides it).

    The family-split ensemble (``assets/family_ensemble``) once it is finalised, else the
    earlier, hash-split demo ensemble (``assets/demo_ensemble``), else the single demo run
    ``assets/demo_model``. An ensemble counts once its ``ensemble.json`` is there: it is
    written last, after every member (the family ensemble's split and finished members are
    committed while the others train).
    """
    if os.environ.get("PROMOTER_DEMO_RUN"):
        return Path(os.environ["PROMOTER_DEMO_RUN"])
    for name in ("family_ensemble", "demo_ensemble"):
        ensemble = Path(root) / "assets" / name
        if (ensemble / "ensemble.json").is_file():
            return ensemble
    return Path(root) / "assets" / "demo_model"


def bundled_runs(root: Path = ROOT) -> list:
    """The demo first, then the other bundled models (the earlier ensemble and the single
    demo run beside it) when installed and no ``PROMOTER_DEMO_RUN`` replaces the bundle.
    """
    demo = demo_run_path(root)
    if os.environ.get("PROMOTER_DEMO_RUN"):
        return [demo]
    earlier = Path(root) / "assets" / "demo_ensemble"
    single = Path(root) / "assets" / "demo_model"
    others = [earlier] if (earlier / "ensemble.json").is_file() else []
    others += [single] if single.is_dir() else []
    return [demo] + [p for p in others if p != demo]


def default_runs_dir() -> Path:
    """The runs root (``PROMOTER_RUNS_DIR``, ``runs/`` in the repository)."""
    return Path(os.environ.get("PROMOTER_RUNS_DIR") or ROOT / "runs")


def max_records() -> int:
    """Most sequences one Predict request may hold (``PROMOTER_MAX_RECORDS``, default 1000)."""
    try:
        return max(1, int(os.environ.get("PROMOTER_MAX_RECORDS", "1000")))
    except ValueError:
        return 1000


def locked() -> bool:
    """True for a shared deployment (``PROMOTER_LOCKED`` = 1, true or yes)."""
    return os.environ.get("PROMOTER_LOCKED", "").strip().lower() in {"1", "true", "yes"}


def run_allowed(path) -> bool:
    """Whether the run at ``path`` may be loaded.

    Always when unlocked; when locked only the bundled models and folders directly under
    ``PROMOTER_RUNS_DIR`` (no ``..``, no links out of it).
    """
    if not locked():
        return True
    from promoter_model.runs.run import RunError, resolve_under

    p = Path(path).resolve()
    if p in {b.resolve() for b in bundled_runs()}:
        return True
    try:
        return resolve_under(default_runs_dir(), p.name) == p and p.parent == (
            default_runs_dir().resolve())
    except (RunError, OSError):
        return False


def cache_dir() -> Path:
    """The app's own cache folder (``PROMOTER_CACHE_DIR``, or private under the temp dir).

    A folder under a shared temp dir must be a real folder owned by this user (mode 0700),
    not a link planted by someone else; otherwise a fresh private folder is used.
    """
    import stat
    import tempfile

    configured = os.environ.get("PROMOTER_CACHE_DIR")
    if configured:
        d = Path(configured)
        d.mkdir(parents=True, exist_ok=True)
        return d
    d = Path(tempfile.gettempdir()) / f"promoter-explorer-{os.getuid()}"
    try:
        d.mkdir(mode=0o700, exist_ok=True)
        st_ = os.lstat(d)
        if stat.S_ISDIR(st_.st_mode) and st_.st_uid == os.getuid():
            return d
    except OSError:
        pass
    return Path(_private_cache())


@functools.cache  # one private folder per process
def _private_cache() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="promoter-explorer-")


def motif_cache_dir(path) -> Path:
    """Where the app keeps the motif analysis of the run at ``path`` (outside the run)."""
    import hashlib

    key = hashlib.sha256(str(Path(path).resolve()).encode()).hexdigest()[:16]
    return cache_dir() / "motifs" / key


def safe_markdown(text):
    """Run-provided text made safe to render: no remote images, no links to click.

    Images become their alt text, links their text, reference definitions are dropped, and
    bare or ``<...>`` URLs are shown as code (not fetched, not clickable). Streamlit already
    escapes HTML (``unsafe_allow_html`` is never used for run text).
    """
    from promoter_model.runs.safety import plain_markdown

    return plain_markdown(text)


def hide_error_details() -> None:
    """Never show a traceback in the browser, wherever the server was started from.

    ``.streamlit/config.toml`` (``showErrorDetails = "none"``) is read from the working
    directory only; a server started elsewhere would show full tracebacks. Set here, from
    the script, it holds for every start.
    """
    try:
        from streamlit import config
    except ImportError:  # pragma: no cover
        return
    config.set_option("client.showErrorDetails", "none")

