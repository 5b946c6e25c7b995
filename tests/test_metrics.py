"""Whole-set metrics and the DREAM weighted scores."""

import numpy as np
import pytest
from scipy import stats

from promoter_model import metrics as M


def test_regression_metrics_match_scipy(rng):
    y = rng.normal(size=500)
    p = y + rng.normal(scale=0.5, size=500)
    m = M.regression_metrics(y, p)
    assert m["n"] == 500
    assert m["pearson_r"] == pytest.approx(stats.pearsonr(y, p).statistic)
    assert m["spearman_r"] == pytest.approx(stats.spearmanr(y, p).statistic)
    assert m["r2"] == pytest.approx(1 - np.sum((y - p) ** 2) / np.sum((y - y.mean()) ** 2))
    assert m["pearson_r2"] == pytest.approx(m["pearson_r"] ** 2)


def test_r2_is_not_a_batch_average():
    y = np.array([0.0, 1, 2, 3])
    p = np.array([0.5, 0.5, 2.5, 2.5])
    whole = M.r2_score(y, p)
    halves = (M.r2_score(y[:2], p[:2]) + M.r2_score(y[2:], p[2:])) / 2
    assert whole == pytest.approx(0.8) and halves == pytest.approx(0.0)


def test_constant_predictions_give_nan_correlation():
    assert np.isnan(M.pearson_r([1, 2, 3], [1, 1, 1]))


def test_dream_scores_perfect_and_pairs():
    y = np.arange(20, dtype=float)
    subsets = {k: list(range(10)) for k in M.SINGLE_SUBSETS}
    subsets.update({k: [[i, i + 10] for i in range(5)] + [[15, 3], [16, 9]]
                    for k in M.PAIR_SUBSETS})
    s = M.dream_scores(y, y, subsets)
    assert s["pearson_score"] == pytest.approx(1.0)
    assert s["spearman_score"] == pytest.approx(1.0)
    assert s["n_SNVs"] == 7
    # swapping two predictions spoils the pair differences that involve them only
    noisy = y.copy()
    noisy[[15, 16]] = noisy[[16, 15]]
    s3 = M.dream_scores(y, noisy, subsets)
    assert s3["pearson_r2_SNVs"] < 1 and s3["pearson_r2_all"] == pytest.approx(1.0)


def test_weights_sum_to_challenge_denominator():
    assert sum(M.DREAM_WEIGHTS.values()) == pytest.approx(4.65)


def test_real_public_leaderboard_subsets_are_consistent():
    from promoter_model import dream

    subsets = dream.load_subsets()
    df = dream.load_test_table()
    assert len(subsets["all"]) == 9045 == int((df.public_leaderboard == 1).sum())
    s = dream.score_public_leaderboard(
        lambda seqs: df.set_index("sequence").loc[seqs, "expression"].to_numpy()
        if len(set(seqs)) == len(seqs) else
        df.loc[df.public_leaderboard == 1, "expression"].to_numpy())
    assert s["pearson_score"] == pytest.approx(1.0) and s["n"] == 9045


def test_expression_scale_known_answer(tmp_path):
    from promoter_model import dream

    n = 201
    expr = np.linspace(-1.0, 1.0, n)
    table = tmp_path / "t.tsv"
    table.write_text("pos\tsequence\texpression\tpublic_leaderboard\n" + "".join(
        f"{i}\tACGT\t{v}\t0\n" for i, v in enumerate(expr)))
    yeast = tmp_path / "y.csv"
    yeast.write_text("tag,pos\n" + "".join(f"g{i},{i}\n" for i in (0, 10, 20, 20, 30)))
    s = dream.expression_scale(table, yeast)
    assert (s["n"], s["min"], s["max"]) == (n, -1.0, 1.0)
    assert s["p01"] == pytest.approx(np.percentile(expr, 1))
    assert s["yeast_n"] == 4  # duplicated positions counted once
    assert s["yeast_sd"] == pytest.approx(np.std(expr[[0, 10, 20, 30]], ddof=1))
    text = dream.difference_in_context(0.5, s)
    assert text.startswith("0.5 is 25% of the measured range")
    assert f"{0.5 / s['yeast_sd']:.1f} standard deviations" in text


def test_expression_scale_of_the_bundled_data():
    from promoter_model import dream

    s = dream.expression_scale()
    df = dream.load_test_table()
    assert s["n"] == len(df) == 71_103
    assert s["min"] == pytest.approx(df["expression"].min())
    assert s["max"] == pytest.approx(df["expression"].max())
    assert 100 < s["yeast_n"] < 1000 and 0 < s["yeast_sd"] < s["max"] - s["min"]


def test_subset_table_and_weak_spots():
    from promoter_model import dream

    scores = {"n_all": 10, "pearson_r2_all": 0.9, "spearman_all": 0.95,
              "n_high": 5, "pearson_r2_high": 0.2, "spearman_high": 0.3,
              "n_SNVs": 4, "pearson_r2_SNVs": 0.55, "spearman_SNVs": 0.5}
    table = dream.subset_table(scores)
    assert table["subset"].tolist() == ["all", "high", "SNVs"]
    assert table["weak"].tolist() == [False, True, True]
    assert table["what"].map(len).min() > 10 and not table.isna().any().any()
    assert dream.weak_spots(scores) == "high expression (r² 0.20), SNV differences (r² 0.55)"
    assert dream.weak_spots(scores, weak_below=0.1) is None


def test_robustness_score_fraction_below_epsilon_ignores_unknown():
    from promoter_model.interpret.ism_summary import robustness_score

    assert robustness_score(np.array([0.3, -0.2, 0.0]), 0.25) == pytest.approx(2 / 3)
    assert robustness_score([0.0, 0.5, np.nan], 0.1) == 0.5
    assert np.isnan(robustness_score([np.nan], 0.1))
