"""Designs ready to order (issue 30): a minimum distance between designs, oligos with the
user's overhangs, as a package call and as the ``design`` command.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from conftest import run_main
from toy_models import linear_ensemble

from promoter_model.design import (
    check_min_distance,
    check_overhang,
    diverse_best,
    oligos,
)
from promoter_model.sequence import FLANK_3, FLANK_5

CORE = "".join(np.random.default_rng(2).choice(list("ACGT"), 80))


@pytest.fixture(scope="module")
def ens(tmp_path_factory):
    return linear_ensemble(tmp_path_factory.mktemp("oligo") / "ens")[0]


def test_diverse_best_keeps_the_best_rows_far_enough_apart():
    start = np.zeros(6, dtype=np.int64)
    codes = np.array([[1, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0], [0, 0, 0, 1, 1, 0],
                      [1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1]])
    scores = np.array([5.0, 4.0, 3.0, 5.0, 1.0])
    assert diverse_best(codes, scores, 5, start, 1).tolist() == [0, 1, 2, 4]
    assert diverse_best(codes, scores, 5, start, 3).tolist() == [0, 2]
    assert diverse_best(codes, scores, 1, start, 2).tolist() == [0]
    assert check_min_distance(4, 2) == 4
    with pytest.raises(ValueError, match=r"--min-distance 5 is outside 1..4"):
        check_min_distance(5, 2)


def test_oligos_put_the_insert_between_the_overhangs():
    seq = FLANK_5 + CORE + FLANK_3
    table = pd.DataFrame({"id": ["start", "design-1"], "sequence": [seq, seq],
                          "prediction": [0.0, 1.5], "mutations": ["", "20A>G"]})
    sheet = oligos(table, "ggtctca", "TGAGACC")
    assert sheet["id"].tolist() == ["design-1"]
    assert sheet["oligo"].iloc[0] == "GGTCTCA" + CORE + "TGAGACC"
    assert sheet["length"].iloc[0] == 94 and sheet["prediction"].iloc[0] == 1.5
    full = oligos(table, region="full", include_start=True)
    assert full["oligo"].tolist() == [seq, seq]
    with pytest.raises(ValueError, match=r"--overhang-5 'GGNC': 'N' at position 3"):
        check_overhang("GGNC", "--overhang-5")
    with pytest.raises(ValueError, match="over the limit of 200 bp"):
        check_overhang("A" * 201)


def test_designs_are_min_distance_apart(ens):
    from promoter_model.design import Objective, design
    from promoter_model.predictor import load_predictor
    from promoter_model.sequence import encode_codes

    pred = load_predictor(ens)
    start = FLANK_5 + CORE + FLANK_3
    plain = design(pred, start, objective=Objective("maximize", uncertainty=0.0),
                   n_designs=4, min_distance=1)
    far = design(pred, start, objective=Objective("maximize", uncertainty=0.0),
                 n_designs=4, min_distance=6)
    # greedy paths on a linear model converge: the plain designs are few and close
    assert len(plain.designs) < 4
    codes = encode_codes(far.designs["sequence"].tolist())
    dist = (codes[:, None] != codes[None]).sum(axis=2)
    assert len(codes) == 4 and dist[np.triu_indices(4, 1)].min() >= 6
    assert far.designs["score"].iloc[0] == pytest.approx(plain.designs["score"].iloc[0])
    with pytest.raises(ValueError, match="1..100"):
        design(pred, start, n_designs=101)


def test_design_command_writes_the_order_sheet(ens, tmp_path, capsys):
    sheet = tmp_path / "order.csv"
    r = run_main(capsys, "design", ens, CORE, "--maximize", "--max-mutations", 3,
                 "--n-designs", 3, "--min-distance", 4, "--oligos", sheet, "--overhang-5",
                 "GGTCTCA", "--overhang-3", "tgagacc")
    assert r.returncode == 0, r.stderr
    designs = pd.read_csv(io.StringIO(r.stdout))
    order = pd.read_csv(sheet)
    assert list(order.columns) == ["id", "oligo", "length", "insert", "prediction",
                                   "mutations"]
    assert order["id"].tolist() == designs["id"].iloc[1:].tolist()
    assert all(o.startswith("GGTCTCA") and o.endswith("TGAGACC") and len(o) == 94
               for o in order["oligo"])
    assert "3 oligo(s) of 94 nt" in r.stderr


@pytest.mark.parametrize("args, needle", [
    (["--overhang-5", "GGXT", "--oligos", "o.csv"], "--overhang-5 'GGXT': 'X' at position 3"),
    (["--overhang-3", "ACGT"], "give --oligos FILE too"),
    (["--min-distance", "9"], "--min-distance 9 is outside 1..4"),
    (["--n-designs", "1000"], "--n-designs 1000 is over the limit of 100"),
])
def test_design_bad_ordering_options_are_one_line(ens, tmp_path, args, needle, capsys):
    r = run_main(capsys, "design", ens, "--maximize", "--max-mutations", 2, *args)
    assert r.returncode == 2 and needle in r.stderr.strip().splitlines()[-1], r.stderr
    assert "Traceback" not in r.stderr


def test_oligo_fasta_carries_the_overhangs():
    from promoter_model.design import oligo_fasta

    seq = FLANK_5 + CORE + FLANK_3
    table = pd.DataFrame({"id": ["start", "design-1"], "sequence": [seq, seq],
                          "prediction": [0.0, 1.5], "mutations": ["", "20A>G"]})
    text = oligo_fasta(oligos(table, "GGTCTCA", "TGAGACC")).splitlines()
    assert text == [">design-1 length=94 prediction=1.5 mutations=20A>G",
                    "GGTCTCA" + CORE + "TGAGACC"]
    assert oligo_fasta(oligos(table.iloc[:1])) == ""
