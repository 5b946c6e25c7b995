"""promoter_model: train, serve and interpret deep models of yeast promoter expression.

The engine of promoter-explorer; it never imports the dashboard (``app/``). One room per
concept, each package importing only those above it in this list::

    bounds.py     the bound of every user-sized number (positions, budgets, counts, members)
    sequence/     text -> (n, L, 4) arrays: errors, layout (110 bp, flanks, fitting),
                  encode, pastes (GenBank, wrapped lines), parse, pairs, edits, files
    records/      prepared TFRecord folders: fs (DataError, local and gs:// files, sha256),
                  manifest, hashing (splits, folds), writing (prepare), readers, arrays
    families/     sequence families and the splits that respect them: group, split,
                  novelty, leakage, dream
    model/        config, layers, architectures, predict (one compiled Keras model)
    runs/         run and ensemble folders: run, safety, gate (every file in and out),
                  ensemble (the folder format), catalog (the run picker)
    metrics.py    agreement scores and the DREAM weighted scores
    uncertainty/  calibration (conformal, out-of-fold), direction (p_up), intervals
    train/        strategy, callbacks, fit (shards -> a run folder, resumable)
    predictor.py  Predictor: one run or an ensemble called as one model -> mean, sd
    dream.py      the DREAM test data, its subsets and leaderboard scoring
    crossval/     finalize (a cross-validated ensemble: out-of-fold predictions,
                  calibration, scores), card
    motifs/       pfm (Motif, information content, MEME), jaspar, tomtom, modisco, effects,
                  store (discovered.json, model_checksum), lookup
    interpret/    ism (one entry point), ism_summary, fast_ism, fast_ism_plan, attributions,
                  variants, variant_lists, tiling, filters, reference, discover
    design/       objective (the design driver), search, constraints, oligos
    plot/         matplotlib figures, ``ax=None``, arrays in
    cli/          ``promoter-model``: command (parser, exit-2 contract), io, data, predict,
                  interpret, variants (tile, variants), discover, design
    atomic.py     atomic writes used by every writer

Every operation takes a predictor (a :class:`~promoter_model.predictor.Predictor`, a run or
a Keras model) and ``(n, L, 4)`` arrays or strings, and returns arrays: for an ensemble the
members' mean and sd, with a ``func`` hook to score something else than the raw output.
Each package's ``__init__`` says what lives there and re-exports its public names.
"""

__version__ = "0.1.0"
