"""Promoter explorer: ``streamlit run app/main.py``.

A multipage dashboard over the :mod:`promoter_model` engine: the router and the shared
sidebar (run picker and model-card summary) live here; each page is a thin file in
``app/views``. (Not ``app/pages``: Streamlit treats a ``pages/`` folder beside the main
script as a v1 multipage app and would run those files without this router.)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import streamlit as st  # noqa: E402

from app import deployment, describe, session_bar  # noqa: E402
from app.cache import runs as run_cache  # noqa: E402

# a local image: a ":material/...:" or emoji page icon makes the browser fetch the favicon
# from a CDN, which an offline laptop or a locked container cannot reach
deployment.hide_error_details()  # wherever the server starts (not only from the repo root)
st.set_page_config(page_title="Promoter explorer", page_icon=str(ROOT / "app" / "favicon.png"),
                   layout="wide")
run_cache.keep_model_state_between_runs()


def sidebar() -> None:
    """Pick the run (demo + valid runs under the runs folder) and summarise it."""
    with st.sidebar:
        st.markdown("### Model")
        locked = deployment.locked()  # PROMOTER_LOCKED: the runs folder is fixed
        if locked or "runs_dir" not in st.session_state:
            st.session_state["runs_dir"] = str(deployment.default_runs_dir())
        runs, skipped = run_cache.available_runs(st.session_state["runs_dir"],
                                                str(deployment.demo_run_path()))
        demo_missing = not any(label.startswith("demo:") for label, _ in runs)
        if demo_missing:
            st.warning(f"The bundled demo run was not found at `{deployment.demo_run_path()}` "
                       "(or it is incomplete)." + ("" if locked else " Choose a runs folder "
                                                   "below."),
                       icon=":material/warning:")
        if runs:
            labels = [label for label, _ in runs]
            paths = [p for _, p in runs]
            current = st.session_state.get("run_path")
            index = paths.index(current) if current in paths else 0
            label = st.selectbox("Run", labels, index=index, key="run_label",
                                 help="The bundled demo run and every complete run folder "
                                      "found in the runs folder.")
            st.session_state["run_path"] = paths[labels.index(label)]
        else:
            st.session_state["run_path"] = None
            st.info("No valid run found yet.")
        with st.expander("Runs folder", expanded=(demo_missing or not runs) and not locked):
            if locked:
                st.caption("Runs are those of this server's runs folder (set by the "
                           "administrator).")
            else:
                folder = st.text_input("Folder with run directories",
                                       value=st.session_state["runs_dir"],
                                       help="Each sub-folder holding config.json, model.keras "
                                            "and checksums.json is offered as a run (set the "
                                            "default with PROMOTER_RUNS_DIR).")
                if folder != st.session_state["runs_dir"]:
                    st.session_state["runs_dir"] = folder
                    st.rerun()
                if not Path(folder).is_dir():
                    st.caption("This folder does not exist yet.")
            if skipped:
                st.caption("Skipped folders:")
                for path, why in skipped[:10]:
                    st.caption(f"- `{Path(path).name}`: {why.split(': ', 1)[-1]}")
        session_bar.controls()  # save the session as one file, or open one
        path = st.session_state.get("run_path")
        if path:
            try:
                predictor = run_cache.get_predictor(path, run_cache.run_stamp(path))
            except Exception as exc:  # load errors are shown, never a traceback
                st.error(f"Could not load this run: {exc}")
                st.session_state["run_path"] = None
                return
            run = predictor.members[0]
            size = f"{run.model.count_params():,} parameters"
            if predictor.is_ensemble:
                size = f"ensemble of {len(predictor.members)} members, {size} each"
            st.markdown(f"**{deployment.safe_markdown(predictor.name)}** · preset "
                        f"`{deployment.safe_markdown(run.config.preset)}` · {size}")
            st.caption("Predicts how strongly a 110 bp yeast promoter construct drives "
                       "expression of a reporter gene.")
            plain = describe.plain_summary(predictor.metrics or {})
            if plain:
                st.caption(plain)
            st.caption(f"Output: {describe.unit_of(predictor)}")
            st.page_link(MODEL_CARD_PAGE, label="Model card", icon=":material/description:")


_t0 = time.perf_counter()
MODEL_CARD_PAGE = st.Page("views/model_card.py", title="Model card",
                          icon=":material/description:")
sidebar()
pages = st.navigation([
    st.Page("views/predict.py", title="Predict", icon=":material/query_stats:", default=True),
    st.Page("views/mutagenesis.py", title="Mutagenesis", icon=":material/grid_on:"),
    st.Page("views/tiling.py", title="Tile a promoter", icon=":material/view_week:"),
    st.Page("views/variants.py", title="Variant list", icon=":material/format_list_numbered:"),
    st.Page("views/design.py", title="Design", icon=":material/science:"),
    st.Page("views/motifs.py", title="Motifs", icon=":material/text_fields:"),
    st.Page("views/grammar.py", title="Grammar", icon=":material/linear_scale:"),
    st.Page("views/training.py", title="Training", icon=":material/monitoring:"),
    MODEL_CARD_PAGE,
])
pages.run()
if os.environ.get("PROMOTER_TIMING"):  # bench/bench_app.py reads this from the server log
    print(f"PROMOTER_TIMING page={pages.title} seconds={time.perf_counter() - _t0:.3f}",
          file=sys.stderr, flush=True)
