"""The dashboard's pages, one file each, run by ``st.navigation`` in :mod:`app.main`.

Thin: read the inputs, call :mod:`app.cache` (the engine, cached), lay out
:mod:`app.figures`, tables and downloads. (Not ``app/pages``: Streamlit treats a ``pages/``
folder beside the main script as a v1 multipage app.)

Modules
-------
predict
    Predictions of pasted or uploaded sequences against measured expression.
mutagenesis
    The ISM heatmap, click-to-mutate trajectories, logos, top mutations, compare mode.
tiling
    A native promoter cut into 80 bp windows between the plasmid flanks, predicted along
    it with bands, the strongest highlighted, each window openable in Mutagenesis.
variants
    A variant list (edits of a wild type in the user's coordinates, or ref/alt pairs):
    each variant's change with its interval and p_up, ranked.
motifs
    Discovered motifs, first-layer filters with their JASPAR matches, motif scans.
grammar
    Motif grammar: position and orientation, spacing, marginal effect over backgrounds,
    the DREAM designed pairs measured against predicted.
design
    Edited promoters toward a target expression.
training
    Learning curves, the held-out test set, DREAM subset scores, interval calibration.
model_card
    The run's or ensemble's model card.
"""
