"""Interpretation engine: arrays in, arrays (or tables) out; no plotting, no Streamlit.

Modules
-------
ism
    In-silico saturation mutagenesis (all single-nucleotide variants in one batched call).
attributions
    Gradient x input, integrated gradients and SHAP (GradientExplainer); the only module
    here with TensorFlow-specific code.
filters
    First-layer filters: weights, activations, activation PFMs, influence, the per-run cache.
motifs
    JASPAR CORE fungi motifs (offline, pyjaspar) and a Tomtom-like matcher.
variants
    Substitutions, insertions and deletions; variant effects; motif tiling scans.
"""
