"""Model card: the selected run's MODEL_CARD.md on a page of its own."""

from __future__ import annotations

import streamlit as st

from app import describe, ui

run = ui.need_run()
if not (run.model_card or "").lstrip().startswith("# "):  # the card brings its own title
    st.title(f"Model card: {run.name}")
if run.model_card:
    plain = None if "In plain words" in run.model_card else describe.card_plain_words(
        run.metrics or {})
    if plain:  # the card opens with its technical terms: plain words first
        st.info(plain, icon=":material/lightbulb:")
    leaky = describe.not_by_family(run.metrics or {})
    if leaky:  # an older card predates the family split: say what its scores measure
        st.warning(leaky, icon=":material/warning:")
    st.markdown(run.model_card)
    st.download_button("MODEL_CARD.md", data=run.model_card.encode(),
                       file_name=f"{ui.slug(run.name)}_MODEL_CARD.md", mime="text/markdown",
                       key="card_md", icon=":material/download:", on_click="ignore")
else:
    st.info("This run has no MODEL_CARD.md.")
st.caption(f"Run folder: `{run.path}` · output: {describe.unit_of(run)}")
