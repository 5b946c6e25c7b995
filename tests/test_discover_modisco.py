"""TF-MoDISco-lite for 110 bp inputs (motifs/modisco.py): the settings must not
regress to its long-window defaults, and sites next to the masked flanks (where the input
modisco sees ends) must come back as patterns where they were planted.
"""

import inspect

import numpy as np
import pytest
from test_discover import _holds

from promoter_model.interpret import discover as D
from promoter_model.sequence import SEQ_LEN, VARIABLE_END, VARIABLE_START, one_hot


def test_modisco_settings_fit_110_bp_inputs_not_the_long_window_defaults():
    from modiscolite.tfmodisco import TFMoDISco

    defaults = {k: v.default for k, v in inspect.signature(TFMoDISco).parameters.items()
                if v.default is not inspect.Parameter.empty}
    s = D.MODISCO_SETTINGS
    for key in ("sliding_window_size", "flank_size", "initial_flank_to_add",
                "trim_to_window_size"):
        assert s[key] < defaults[key], key
    seqlet = s["sliding_window_size"] + 2 * s["flank_size"]
    # a seqlet plus the flank added while aggregating fits well inside the 80 bp core
    assert seqlet + 2 * s["initial_flank_to_add"] <= 30
    assert 6 <= s["sliding_window_size"] <= 15  # yeast sites are 6-12 bp
    assert set(s) <= set(defaults)


def _synthetic_contributions(n: int, sites: dict, seed: int = 0):
    """Random promoters carrying each site at its start (+0-4 bp) with probability 0.3, and
    hypothetical contributions of known answer: the site's bases carry its per-base weight
    (the other bases the negative of a third of it, so columns are centred), every other
    variable position noise, the flanks masked to zero as ``discover`` masks them.
    """
    from conftest import random_promoters

    rng = np.random.default_rng(seed)
    seqs = [list(s) for s in random_promoters(n, seed)]
    hyp = rng.normal(scale=0.02, size=(n, SEQ_LEN, 4))
    for site, (start, weight) in sites.items():
        rows = np.flatnonzero(rng.random(n) < 0.3)
        for row, s0 in zip(rows, start + rng.integers(0, 5, size=len(rows))):
            seqs[row][s0:s0 + len(site)] = site
            codes = np.array(["ACGT".index(b) for b in site])
            hyp[row, s0:s0 + len(site)] = -weight / 3
            hyp[row, np.arange(s0, s0 + len(site)), codes] = weight
    hyp *= D.flank_mask(SEQ_LEN)[None, :, None]
    return one_hot(["".join(s) for s in seqs]), hyp.astype(np.float32)


@pytest.mark.slow
def test_a_site_next_to_the_masked_flank_comes_back_as_a_pattern():
    """TF-MoDISco-lite sees 10 bp of masked flank beside the variable region
    (``modisco_span``): a site 6 bp into the region must fit its seqlets (window, flanks and
    what aggregation adds) inside what it sees, or it is silently dropped. Known answer:
    contributions planted on REB1 sites there, an E-box in the middle and TATA at the 3' end.
    """
    from promoter_model.motifs.modisco import run_modisco, summarise_pattern
    from promoter_model.motifs.pfm import consensus

    sites = {"TTACCCG": (VARIABLE_START + 6, 0.3), "CACGTG": (VARIABLE_START + 36, -0.3),
             "TATAAA": (VARIABLE_END - 11, 0.3)}
    X, hyp = _synthetic_contributions(1500, sites)
    lo, hi = D.modisco_span(SEQ_LEN, True, D.MODISCO_SETTINGS["sliding_window_size"])
    patterns = [summarise_pattern(nm, sign, p, hi - lo, offset=lo)
                for nm, sign, p in run_modisco(X[:, lo:hi], hyp[:, lo:hi])]
    for site, (start, weight) in sites.items():
        found = [p for p in patterns if (p["sign"] == "+") == (weight > 0)
                 and _holds(consensus(np.asarray(p["pfm"])), site)]
        assert found, (site, [(p["name"], consensus(np.asarray(p["pfm"]))) for p in patterns])
        starts = np.concatenate([p["seqlet_starts"] for p in found])
        assert abs(np.median(starts) - (start + 2)) <= 4  # where it was planted


def test_flat_attributions_give_no_pattern_instead_of_an_error_inside_modisco():
    """200 identical sequences of a model that ignores them: every contribution is equal,
    which modisco-lite's null model cannot fit (issue 29); there is simply nothing found.
    """
    from promoter_model.motifs.modisco import run_modisco

    X = one_hot(["ACGT" * 20] * 200)
    assert run_modisco(X, np.zeros_like(X)) == []
