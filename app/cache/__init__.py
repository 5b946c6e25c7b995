"""The dashboard's calls of the engine, cached: the only users of ``st.cache_data`` and
``st.cache_resource``.

Every result is keyed by ``(run path, run stamp, ...)``, the stamp being the modification
time of the run's ``checksums.json``, so a re-trained run in the same folder is reloaded.
Nothing here computes a score or an effect itself: each function is a thin call of
:mod:`promoter_model`.

Modules
-------
runs
    The run picker's list, the one cached load of a run or ensemble (a ``Predictor``,
    warmed up), histories, and keeping loaded models fast between script runs.
data
    The DREAM test data: measured expression, its scale in plain numbers, the
    public-leaderboard subsets, example promoters.
predict
    Mean predictions and members' sd, calibrated intervals, variant effects.
heldout
    The held-out test set's predictions (an ensemble's stored ones, else computed in cached
    parts) and their DREAM scores, for the Training page.
ism
    One ISM per sequence (and per batch), what the pages read off it, attribution maps.
motifs
    JASPAR motifs, the first-layer filter analysis, motif scans, discovered motifs.
variants
    A native promoter's windows, a variant list's or pairs table's effects, the DREAM
    subset scores computed for a model whose metrics lack the native yeast one.
grammar
    Position and spacing scans, marginal effects, the DREAM designed pairs measured against
    predicted (:mod:`promoter_model.grammar`).

The Design page caches nothing: a design runs when its button is pressed, through
:func:`runs.get_predictor`.
"""
