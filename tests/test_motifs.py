"""JASPAR fungi motifs (offline) and the Tomtom-like matcher."""

from __future__ import annotations

import time

import numpy as np
import pytest
from toy_models import REB1_COUNTS

from promoter_model import motifs as M


@pytest.fixture(scope="module")
def fungi():
    return M.jaspar_fungi_motifs("JASPAR2024")


def test_jaspar_fungi_offline(fungi):
    assert 150 <= len(fungi) <= 250
    ids = {m.id: m.name for m in fungi}
    for mid, name in [("MA0363.3", "REB1"), ("MA0359.3", "RAP1"), ("MA0265.3", "ABF1"),
                      ("MA0303.3", "GCN4"), ("MA0331.1", "MCM1"), ("MA0386.2", "SPT15")]:
        assert ids[mid] == name
    for m in fungi:
        assert m.pfm.ndim == 2 and m.pfm.shape[1] == 4
        np.testing.assert_allclose(m.pfm.sum(1), 1, atol=1e-9)
    reb1 = M.find_motif("REB1", fungi)
    np.testing.assert_allclose(reb1.pfm, REB1_COUNTS / REB1_COUNTS.sum(1, keepdims=True))
    assert M.find_motif("ma0363", fungi).id == "MA0363.3"
    assert M.jaspar_fungi_motifs() is not M.jaspar_fungi_motifs()  # callers get a copy


def test_unknown_release_and_motif(fungi):
    with pytest.raises(ValueError, match="JASPAR1999"):
        M.jaspar_fungi_motifs("JASPAR1999")
    with pytest.raises(ValueError, match="no JASPAR fungi motif"):
        M.find_motif("NOT_A_TF", fungi)


def test_release_without_its_database_is_refused_clearly(monkeypatch):
    """A slim install (the Docker image) keeps only some releases' databases."""
    import pyjaspar

    assert M.DEFAULT_RELEASE in M.bundled_releases()
    monkeypatch.setitem(pyjaspar.jaspar_releases, "JASPAR1990", "JASPAR1990.sqlite")
    assert "JASPAR1990" not in M.bundled_releases()
    with pytest.raises(ValueError, match=f"release 'JASPAR1990'.*{M.DEFAULT_RELEASE}"):
        M.jaspar_fungi_motifs("JASPAR1990")


def test_consensus_and_sampling():
    pfm = np.array([[0.7, 0.1, 0.1, 0.1], [0.25] * 4, [0, 0, 0, 1]])
    assert M.consensus(pfm) == "ANT"
    rng = np.random.default_rng(0)
    draws = [M.sample_motif_sequence(pfm, rng) for _ in range(2000)]
    assert all(len(d) == 3 and d[2] == "T" for d in draws)
    freq_a = np.mean([d[0] == "A" for d in draws])
    assert abs(freq_a - 0.7) < 0.04


def test_similarity_offsets_and_strands(fungi):
    reb1 = M.find_motif("REB1", fungi).pfm
    assert M.motif_similarity(reb1, reb1) == pytest.approx(
        {"score": 1.0, "offset": 0, "strand": "+"}, abs=1e-5)
    core = reb1[1:8]
    s = M.motif_similarity(core, reb1)
    assert s["score"] == pytest.approx(1, abs=1e-5) and s["offset"] == 1 and s["strand"] == "+"
    rc = M.motif_similarity(M.reverse_complement_pfm(core), reb1)
    assert rc["score"] == pytest.approx(1, abs=1e-5) and rc["strand"] == "-"
    assert rc["offset"] == 1  # reverse complement of 9 columns: core at 1..7 again
    rng = np.random.default_rng(0)
    noise = rng.dirichlet(np.ones(4), size=7)
    assert M.motif_similarity(noise, reb1)["score"] < 0.8


def test_similarity_against_bruteforce():
    rng = np.random.default_rng(3)
    a, b = rng.dirichlet(np.ones(4), size=6), rng.dirichlet(np.ones(4), size=9)

    def pcc(u, v):
        return np.corrcoef(u, v)[0, 1]

    best = (-np.inf, None, None)
    for strand, t in (("+", b), ("-", b[::-1, ::-1])):
        for off in range(-5, 9):
            cols = [(i, i + off) for i in range(6) if 0 <= i + off < 9]
            if len(cols) < 4:
                continue
            score = sum(pcc(a[i], t[j]) for i, j in cols) / 6
            if score > best[0]:
                best = (score, off, strand)
    got = M.motif_similarity(a, b)
    assert got["score"] == pytest.approx(best[0], abs=1e-5)
    assert (got["offset"], got["strand"]) == best[1:]


@pytest.mark.parametrize("name", ["REB1", "RAP1", "ABF1", "GCN4", "MCM1"])
def test_known_motifs_match_themselves_first(fungi, name):
    m = M.find_motif(name, fungi)
    df = M.match_motifs(m.pfm, fungi, top=3)
    assert list(df.columns) == ["id", "name", "score", "offset", "strand", "p_value", "q_value"]
    assert df.iloc[0]["id"] == m.id
    assert df.iloc[0]["p_value"] < 0.002
    assert (np.diff(df["p_value"]) >= 0).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_noisy_reb1_matches_reb1(fungi, seed):
    rng = np.random.default_rng(seed)
    probs = REB1_COUNTS / REB1_COUNTS.sum(1, keepdims=True)
    counts = np.array([rng.multinomial(50, p) for p in probs])
    df = M.match_motifs(M.reverse_complement_pfm(counts), fungi, top=3)
    assert df.iloc[0]["id"] == "MA0363.3" and df.iloc[0]["strand"] == "-"
    assert df.iloc[0]["p_value"] < df.iloc[1]["p_value"] / 5


def test_reb1_core_matches_reb1_or_its_paralog(fungi):
    # the 7 bp core TTACCCG is shared by REB1 and its paralog NSI1 (MA0421.1): both lead
    core = REB1_COUNTS[1:8]
    df = M.match_motifs(core, fungi, top=3)
    assert set(df["id"][:2]) == {"MA0363.3", "MA0421.1"}
    assert (df["score"][:2] > 0.99).all() and df["p_value"][1] < df["p_value"][2] / 3


def test_random_queries_are_not_significant(fungi):
    rng = np.random.default_rng(1)
    q = rng.dirichlet(np.full(4, 0.5), size=(20, 7))
    df = M.match_all(q, fungi, top=1)
    assert len(df) == 20
    # best-of-178 p-values are small by selection; after correcting they are not significant
    assert (df["q_value"] > 0.05).mean() >= 0.9


def test_match_all_is_fast(fungi):
    q = np.random.default_rng(2).dirichlet(np.ones(4), size=(64, 7))
    t = time.perf_counter()
    df = M.match_all(q, fungi, top=3, n_null=100)
    assert time.perf_counter() - t < 10  # ~1 s on the 2-core CI machine
    assert len(df) == 64 * 3 and set(df["rank"]) == {1, 2, 3}
