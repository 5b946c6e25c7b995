"""The local stand-in for ``tf.io.gfile`` used where TensorFlow is not installed."""

from __future__ import annotations

import pytest

from promoter_model.records import DataError
from promoter_model.records import LocalFiles as localfs


def test_local_file_operations(tmp_path):
    d = tmp_path / "a" / "b"
    localfs.makedirs(d)
    assert localfs.isdir(d) and localfs.listdir(d) == []
    with localfs.GFile(d / "x.tmp", "wb") as fh:
        fh.write(b"12345")
    localfs.rename(str(d / "x.tmp"), str(d / "x"), overwrite=True)
    assert localfs.exists(d / "x") and localfs.stat(d / "x").length == 5
    with localfs.GFile(d / "x", "rb") as fh:
        assert fh.read() == b"12345"
    (d / "y").write_text("other")
    with pytest.raises(FileExistsError):
        localfs.rename(str(d / "y"), str(d / "x"))
    localfs.remove(d / "x")
    assert localfs.listdir(d) == ["y"]


def test_a_remote_path_names_what_is_missing():
    with pytest.raises(DataError, match="gs://bucket/data.*need TensorFlow"):
        localfs.exists("gs://bucket/data")
