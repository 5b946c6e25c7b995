"""The generic hostile corpus of ``bench/hostile_corpus.py`` (issue 29), run small in
``make test``: every probe handled, the worst peak under 1.5 GB above the TensorFlow import.

The corpus is derived from the parser and the run and ensemble file lists, so a new
command's float or output option, or a new file of an ensemble, is probed the day it is
added; the totals are quoted in ``docs/reliability.md``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_every_generic_probe_is_handled(tmp_path):
    spec = importlib.util.spec_from_file_location("hostile_corpus",
                                                  ROOT / "bench" / "hostile_corpus.py")
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    results = corpus.run_corpus(tmp_path)
    names = [n for n, _, _ in results]
    assert len(results) >= 100, corpus.summary(results)
    for kind in ("cli design --output = input", "cli predict --output -> link to input",
                 "ensemble calibration.json: JSON nested 100,000 deep",
                 "ensemble oof.tsv.gz: sparse 5 GB", "page keep 1-10000000000"):
        assert any(n.startswith(kind) for n in names), kind
    missed = [n for n, handled, _ in results if not handled]
    assert not missed, f"{corpus.summary(results)}: {missed}"
    assert max(p for _, _, p in results) < 1.5 * 2**30, corpus.summary(results)
