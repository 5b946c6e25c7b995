"""``cli.main``: our own input errors exit 2 with one line; anything else is shown as a bug."""

import numpy as np
import pytest

from promoter_model.cli import command as cli
from promoter_model.records import DataError
from promoter_model.runs import RunError
from promoter_model.sequence import SequenceError, as_batch
from promoter_model.train import TrainingError


def _main_raising(monkeypatch, capsys, raiser):
    def cmd(args):
        raiser()

    monkeypatch.setattr(cli, "cmd_prepare", cmd)
    status = cli.main(["prepare", "in.txt", "--out", "out"])
    return status, capsys.readouterr().err


@pytest.mark.parametrize("exc", [SequenceError("bad base"), RunError("no run"),
                                 DataError("no manifest"), TrainingError("empty split")])
def test_our_error_classes_exit_2_with_one_line(monkeypatch, capsys, exc):
    def raiser():
        raise exc

    status, err = _main_raising(monkeypatch, capsys, raiser)
    assert status == 2
    assert err.strip() == f"error: {exc}"


def test_a_value_error_raised_by_our_code_is_input_error(monkeypatch, capsys):
    status, err = _main_raising(monkeypatch, capsys, lambda: as_batch(np.zeros((1, 5, 4))))
    assert status == 2
    assert err.strip().startswith("error: expected one-hot input of shape (n, 110, 4)")
    assert "Traceback" not in err


def test_a_value_error_from_a_library_is_a_bug(monkeypatch, capsys):
    status, err = _main_raising(monkeypatch, capsys, lambda: np.zeros(3).reshape(2, 2))
    assert status == 1
    assert "Traceback" in err
    assert "error: unexpected ValueError: cannot reshape" in err
    assert "This is a bug in promoter-model" in err


def test_an_unexpected_exception_is_a_bug_not_bad_input(monkeypatch, capsys):
    def raiser():
        return {}["missing"]

    status, err = _main_raising(monkeypatch, capsys, raiser)
    assert status == 1
    assert "KeyError" in err and "please report it" in err
    assert "bad input" not in err
