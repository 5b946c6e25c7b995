"""promoter_model.plot.variants: a native promoter's windows along it and a variant list's
ranked effects, from plain arrays (issue 30).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from promoter_model import plot  # noqa: E402


@pytest.fixture(autouse=True)
def _close_all():
    yield
    plt.close("all")


def test_tiling_profile_draws_windows_at_their_centres_band_and_strongest():
    start = np.arange(0, 130, 10)
    pred = np.sin(start / 30.0)
    best = int(start[np.argmax(pred)])
    fig = plot.tiling_profile(start, pred, pred - 0.2, pred + 0.2, best=best, length=210,
                              unit="u", band="90% interval", title="t")
    ax = fig.axes[0]
    line = [ln for ln in ax.get_lines() if ln.get_label() == "prediction"][0]
    np.testing.assert_allclose(line.get_xdata(), start + 40)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"strongest window ({best}-{best + 80})" in labels and "90% interval" in labels
    assert ax.get_xlim() == (0, 210)
    # no band (one run): still a profile
    fig = plot.tiling_profile(start, pred, None, None)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["prediction"]


def test_variant_effects_ranked_largest_increase_first_coloured_by_p_up():
    effect = np.array([0.5, -1.0, np.nan, 2.0])
    assert plot.effect_order(effect).tolist() == [3, 0, 1, 2]  # NaN last
    labels = ["a", "b", "c", "d"]
    fig = plot.variant_effects(effect, labels, effect - 0.3, effect + 0.3,
                               np.array([0.9, 0.05, np.nan, 0.99]), unit="u")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["d", "a", "b", "c"]
    assert len(fig.axes) == 2 and "p_up" in fig.axes[1].get_ylabel()  # the colour bar
    fig = plot.variant_effects(effect, labels)  # no interval, no p_up (one run)
    assert len(fig.axes) == 1
