"""Grammar: where a motif must sit and which way it must face, how far from its partner,
what it does in general, and whether the model follows the DREAM designed experiments.

Every result is a :mod:`promoter_model.grammar` table (the same the ``promoter-model
grammar`` commands write), computed when its button is pressed and cached by the inputs.
Backgrounds default to a few (20), bounded by :data:`MAX_BACKGROUNDS`.
"""

from __future__ import annotations

import streamlit as st

from app import describe, ui
from app.cache import grammar as grammar_cache
from app.cache import motifs as motif_cache
from app.cache import runs as run_cache
from app.figures import grammar as grammar_figures
from app.session_fields import TYPED_SITE
from promoter_model import plot
from promoter_model.motifs.store import discovered_path

MAX_BACKGROUNDS = 200  # the page's bound (the command line allows 1,000)
DEFAULT_BACKGROUNDS = 20
TYPED = TYPED_SITE

st.title("Motif grammar")
run = ui.need_run()
unit = describe.unit_of(run)
path, stamp = str(run.path), run_cache.run_stamp(run.path)
picked = st.session_state.get("run_path") or path  # an ensemble's discovered patterns
members = len(run.members)
st.caption("Insert a motif into backgrounds drawn like the training data (pool promoters "
           "with their variable region dinucleotide-shuffled, seeded) and read the model's "
           "effect: by position and strand, by spacing to a partner, and over backgrounds. "
           "Positions are 0-based starts in the 80 bp variable region.")


def _discovered() -> list:
    try:
        stamp_d = discovered_path(picked).stat().st_mtime
        doc = motif_cache.discovered(picked, stamp_d)
    except (OSError, ValueError):
        return []
    return [p["name"] for p in (doc or {}).get("patterns", [])]


def pick_motif(label: str, key: str, default: str) -> str | None:
    """A motif as text: a discovered pattern's name, a JASPAR ID, or a typed IUPAC site."""
    jaspar = motif_cache.jaspar()
    found = _discovered()
    ids = ([TYPED] + [f"discovered:{n}" for n in found]
           + sorted(jaspar, key=lambda i: jaspar[i].name.upper()))
    first = next((i for i in ids if i in jaspar and jaspar[i].name.upper() == default), ids[1])
    choice = st.selectbox(
        label, ids, index=ids.index(first), key=key, persist_state="session",
        format_func=lambda i: (i if i == TYPED else f"{i.split(':', 1)[1]} (discovered)"
                               if i.startswith("discovered:")
                               else f"{jaspar[i].name} ({i}, {jaspar[i].consensus})"))
    if choice == TYPED:
        text = st.text_input(f"{label}: site", value="TTACCCG", key=f"{key}_text",
                             persist_state="session",
                             help="A, C, G, T and IUPAC letters (R, Y, S, W, K, M, B, D, H, "
                                  "V, N); N keeps the background's base.")
        return text.strip() or None
    return choice.split(":", 1)[1] if choice.startswith("discovered:") else choice


def _failed(exc: ValueError) -> None:
    st.error(str(exc))


def _done(res: dict) -> None:
    st.caption(f"{res['provenance']}; computed in {res['seconds']:.1f} s (cached for these "
               "inputs). Band: ± the effect's sd over backgrounds.")


c1, c2, c3 = st.columns([3, 3, 2])
with c1:
    motif_a = pick_motif("Motif A", "gr_motif_a", "REB1")
with c2:
    motif_b = pick_motif("Motif B (for spacing)", "gr_motif_b", "RAP1")
with c3:
    n = int(st.number_input(f"Backgrounds (1 to {MAX_BACKGROUNDS})", 1, MAX_BACKGROUNDS,
                            DEFAULT_BACKGROUNDS, key="gr_n", persist_state="session",
                            help="More backgrounds: narrower bands, longer wait (the work "
                                 "grows with the number)."))
    seed = int(st.number_input("Seed", 0, 2**31 - 1, 0, key="gr_seed", persist_state="session"))
run_dir = picked
name = run.name
st.caption(f"The position scan predicts about {2 * 75 * n + n:,} sequences, the spacing scan "
           f"about {4 * 21 * 3 * n:,} (spacings 0-20), each with {members} "
           f"member{'s' if members > 1 else ''}. The time grows with the backgrounds: for the "
           "5-member demo ensemble the position scan of 20 backgrounds is about a minute of "
           "CPU time on a 2-core machine (200 backgrounds: ten times that).")

tab_pos, tab_space, tab_marg, tab_meas = st.tabs(
    ["Position and orientation", "Spacing", "Marginal effect", "Measured vs predicted"])


def _armed(key: str, params: tuple, label: str) -> bool:
    """True once ``label`` was pressed for these inputs (kept until they change)."""
    if st.button(label, key=f"{key}_go", type="primary"):
        st.session_state[key] = params
    return st.session_state.get(key) == params


with tab_pos:
    params = (path, motif_a, n, seed)
    if motif_a and _armed("gr_pos", params, "Scan positions"):
        try:
            with st.spinner("Scanning positions…"):
                res = grammar_cache.position(path, stamp, motif_a, run_dir, n, seed)
        except ValueError as exc:
            _failed(exc)
        else:
            df, spread, label = res["table"], res["spread"], res["table"].attrs["motif"]
            ui.plotly(grammar_figures.position_plot(df["position"], df["strand"], df["effect"],
                                                    spread, motif=label, unit=unit),
                      key="gr_pos_plot", name=f"{name}_position_{label}",
                      static=lambda: plot.position_profile(df["position"], df["strand"],
                                                           df["effect"], spread, motif=label,
                                                           unit=unit))
            _done(res)
            ui.table_download(df, name=f"{name}_position_{label}", key="gr_pos_csv")

with tab_space:
    top = int(st.number_input("Largest spacing (0 to 30)", 0, 30, 20, key="gr_space_max",
                              persist_state="session"))
    params = (path, motif_a, motif_b, n, seed, top)
    if motif_a and motif_b and _armed("gr_space", params, "Scan spacings"):
        try:
            with st.spinner("Scanning spacings…"):
                res = grammar_cache.spacing(path, stamp, motif_a, motif_b, run_dir, n, seed,
                                            top)
        except ValueError as exc:
            _failed(exc)
        else:
            df, spread, pair = res["table"], res["spread"], res["table"].attrs["motif"]
            ui.plotly(grammar_figures.spacing_plot(df["spacing"], df["orientation"],
                                                   df["interaction"], spread, pair=pair,
                                                   unit=unit),
                      key="gr_space_plot", name=f"{name}_spacing",
                      static=lambda: plot.spacing_curve(df["spacing"], df["orientation"],
                                                        df["interaction"], spread, pair=pair,
                                                        unit=unit))
            st.caption("Interaction f(AB) − f(A) − f(B) + f(none): 0 when the two act "
                       "independently. Orientation: A's strand, then B's.")
            _done(res)
            ui.table_download(df, name=f"{name}_spacing", key="gr_space_csv")

with tab_marg:
    chosen = tuple(m for m in (motif_a, motif_b) if m)
    params = (path, chosen, n, seed)
    if chosen and _armed("gr_marg", params, "Insert into backgrounds"):
        try:
            with st.spinner("Inserting…"):
                res = grammar_cache.marginal(path, stamp, chosen, run_dir, n, seed)
        except ValueError as exc:
            _failed(exc)
        else:
            per = res["per_background"]
            ui.plotly(grammar_figures.effect_histogram(per, unit=unit), key="gr_marg_plot",
                      name=f"{name}_marginal",
                      static=lambda: plot.effect_distribution(per, unit=unit))
            st.dataframe(res["table"], hide_index=True, key="gr_marg_table")
            _done(res)
            ui.table_download(res["table"], name=f"{name}_marginal", key="gr_marg_csv")

with tab_meas:
    st.caption("The DREAM test set's two grammar experiments, motif_tiling (motifs written "
               "at every start of three backgrounds) and motif_perturbation (REB1 sites with "
               "mutated bases, HSF1 site arrays), as pairs: measured against predicted "
               "alt − ref.")
    held = grammar_cache.held_out_pairs(path, stamp)
    st.info(f"Never trained on here means {held['how']}: {held['held']:,} pairs have both "
            f"sequences there and are shown by default. The other {held['pool']:,} pairs "
            "have a sequence the model may have trained on, so their agreement says little.",
            icon=":material/info:")
    ratio = held["all_sequences"] / max(held["held_sequences"], 1)
    longer = f": about {ratio:.0f} times longer" if ratio >= 2 else ""
    pool = st.checkbox(f"Also the {held['pool']:,} pairs the model may have trained on "
                       f"(predicts {held['all_sequences']:,} sequences instead of "
                       f"{held['held_sequences']:,}{longer})",
                       key="gr_meas_pool", persist_state="session")
    if _armed("gr_meas", (path, pool), "Compare with the measured pairs"):
        with st.spinner("Predicting the designed pairs…"):
            res = grammar_cache.measured_pairs(path, stamp, pool)
        pairs = res["pairs"]
        ui.plotly(grammar_figures.pairs_plot(pairs["measured"], pairs["predicted"],
                                             pairs["held_out"], pairs["alt_tag"], unit=unit),
                  key="gr_meas_plot", name=f"{name}_designed_pairs",
                  static=lambda: plot.measured_pairs(pairs["measured"], pairs["predicted"],
                                                     pairs["held_out"], unit=unit))
        st.caption(f"{int(pairs['held_out'].sum()):,} of {len(pairs):,} pairs shown never "
                   f"trained on; computed in {res['seconds']:.1f} s.")
        st.markdown("**Agreement per motif** (r: Pearson, over pairs)")
        st.dataframe(res["agreement"], hide_index=True, key="gr_meas_table")
        ui.table_download(res["agreement"], name=f"{name}_grammar_agreement",
                          key="gr_meas_csv")
        st.markdown("**Tiling profiles**: does the predicted position profile follow the "
                    "measured one? (the pairs shown)")
        st.dataframe(res["profiles"], hide_index=True, key="gr_prof_table")
        ui.table_download(pairs, name=f"{name}_designed_pairs", key="gr_pairs_csv",
                          label="Pairs CSV")
