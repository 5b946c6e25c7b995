"""Interpretation: what a model does with a sequence. Arrays in, arrays (or tables) out.

Every operation takes a predictor (a :class:`~promoter_model.predictor.Predictor`, a run or
a bare Keras model), one-hot arrays ``(n, L, 4)`` or strings, and ``batch_size`` (and a
``func`` hook where it applies); an ensemble gives the members' mean and sd. No plotting,
no Streamlit. Motif matrices, JASPAR, TOMTOM and the stored discovery results are
:mod:`promoter_model.motifs`, below this package.

Modules
-------
ism
    In-silico saturation mutagenesis: :func:`~promoter_model.interpret.ism.ism`, the one
    entry point (the members' mean effect and sd, or each member's effects).
ism_summary
    What is read off ISM maps: position summaries, the logo, top mutations, robustness,
    tables, members' sign disagreement.
fast_ism
    The exact windowed ISM engine for ``build_model`` graphs (fastISM); ``fast_ism_plan``
    recognises such a graph.
fast_ism_plan
    :func:`plan_for`: a ``build_model`` graph's local convolutions and the model after them.
attributions
    Gradient x input, integrated gradients and SHAP; the only module here with
    TensorFlow-specific code.
variants
    Substitutions, insertions and deletions; variant effects; motif scans.
variant_lists
    A biologist's variant lists: effects against a wild type (:func:`wt_effects`) and
    (ref, alt) pairs tables (:func:`pair_effects`), with calibrated effect intervals and
    ``p_up``.
tiling
    Native promoters: 80 bp windows every ``step`` bases placed between the plasmid flanks
    and predicted in one call (:func:`tile`, :func:`strongest_window`, :func:`native_note`).
filters
    First-layer filters: weights, activations, activation PFMs, influence, and the run's
    cache of them with their JASPAR matches.
reference
    The reference sequences of the filter analysis (one definition for the CLI and the app).
discover
    De novo motif discovery: attributions over a reference set, TF-MoDISco-lite patterns,
    their effects and TOMTOM matches, stored as ``RUN/motifs/discovered.json``.

Public names are resolved from here on first use (PEP 562; the modules load Keras), e.g.
``from promoter_model.interpret import motif_scan``. Where a module and a function share a
name (``ism``, ``discover``) or two modules share one (``METHODS``, ``DEFAULT_N``), import
it from its module.
"""

_LAZY = {
    **dict.fromkeys(("alternatives", "one_sequence", "reference_codes", "snv_batch"), "ism"),
    **dict.fromkeys(("SIGN_TOL", "ism_intervals", "ism_table", "logo_matrix",
                     "mutational_robustness",
                     "position_summary", "robustness_score", "sign_disagreement",
                     "top_mutations"), "ism_summary"),
    **dict.fromkeys(("Engine", "engine_for", "snv_member_predictions"), "fast_ism"),
    **dict.fromkeys(("ConvStage", "Plan", "plan_for"), "fast_ism_plan"),
    **dict.fromkeys(("attribution", "center", "dinucleotide_shuffle", "gradient_x_input",
                     "gradients", "integrated_gradients", "random_background", "shap_values"),
                    "attributions"),
    **dict.fromkeys(("apply_variants", "motif_scan", "parse_variant", "variant_effect"),
                    "variants"),
    **dict.fromkeys(("Effects", "pair_effects", "wt_effects"), "variant_lists"),
    **dict.fromkeys(("native_note", "strongest_window", "tile", "window_starts",
                     "yeast_score"), "tiling"),
    **dict.fromkeys(("CACHE_DIR", "CACHE_VERSION", "activation_pfms", "compute_motifs",
                     "filter_activations", "filter_influence", "filter_weights",
                     "load_motifs", "weights_to_pfm"), "filters"),
    **dict.fromkeys(("DEFAULT_REFERENCE", "DEFAULT_SEED", "filter_reference"), "reference"),
    **dict.fromkeys(("DEFAULT_METHOD", "IG_STEPS", "REFERENCE_NAME", "flank_mask",
                     "hypothetical_contributions", "modisco_span", "reference_set"),
                    "discover"),
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    """Resolve a module's public name (see ``_LAZY``) on first use."""
    if name in _LAZY:
        import importlib  # noqa: PLC0415

        return getattr(importlib.import_module(f"promoter_model.interpret.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
