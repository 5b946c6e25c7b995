"""The ranked dot plot of many predictions (``plot.ranked_predictions`` and the app's plotly
twin): highest first, intervals as bars, the measured bands behind, legible to 200 rows.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from app.figures.predict import ranked_dots  # noqa: E402
from promoter_model import plot  # noqa: E402


def test_ranked_order_and_bands():
    rng = np.random.default_rng(0)
    measured = rng.normal(size=5000)
    pred = np.array([0.1, 2.0, -1.0, 2.0])
    assert plot.ranked_order(pred).tolist() == [1, 3, 0, 2]
    q = plot.measured_bands(measured)
    assert q[0.5] == np.median(measured) and q[0.01] < q[0.1] < q[0.25] < q[0.75] < q[0.99]


def test_two_hundred_rows_stay_legible():
    rng = np.random.default_rng(1)
    n = 200
    pred = rng.normal(size=n)
    labels = [f"seq_{i}" for i in range(n)]
    fig = ranked_dots(rng.normal(size=5000), pred, labels, lower=pred - 0.3, upper=pred + 0.3,
                      level=0.9)
    assert fig.layout.height >= 18 * n  # one row of 18 px or more a label
    assert list(fig.data[0].y) == [labels[i] for i in plot.ranked_order(pred)]
    mfig = plot.ranked_predictions(pred, labels, rng.normal(size=5000), lower=pred - 0.3,
                                   upper=pred + 0.3)
    try:
        ax = mfig.axes[0]
        assert len(ax.get_yticklabels()) == n
        # labels do not overlap: each row is at least as tall as its font
        row_pt = mfig.get_size_inches()[1] * 72 / (n + 2)
        assert ax.get_yticklabels()[0].get_fontsize() <= row_pt
        assert [c for c in ax.collections if c.get_gid() == "interval"]
    finally:
        plt.close(mfig)
