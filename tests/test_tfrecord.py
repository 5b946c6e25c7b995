"""TFRecord bytes written with numpy: CRC-32C, the Example encoding and the record framing
match TensorFlow byte for byte, and ``prepare`` without TensorFlow writes the same shards.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from conftest import random_promoters

from promoter_model import records
from promoter_model.records.arrays import read_shard
from promoter_model.records.tfrecord import crc32c, example_bytes, masked_crc, record_bytes


def test_crc32c_known_values():
    def one(data: bytes) -> int:
        return int(crc32c(np.frombuffer(data, np.uint8)[None])[0])

    assert one(b"123456789") == 0xE3069283  # the standard check value
    assert one(b"") == 0
    assert one(b"\x00" * 32) == 0x8A9136AA  # RFC 3720, B.4
    assert one(b"\xff" * 32) == 0x62A8AB43
    assert one(bytes(range(32))) == 0x46DD794E
    # many rows at once, each its own value
    rows = np.random.default_rng(0).integers(0, 256, (5, 300), dtype=np.uint8)
    assert [int(c) for c in crc32c(rows)] == [one(r.tobytes()) for r in rows]


def test_records_and_examples_match_tensorflow(tmp_path):
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(1)
    payloads = [rng.integers(0, 256, n, dtype=np.uint8).tobytes()
                for n in (0, 1, 7, 63, 64, 65, 1000, 4096, 4096, 20_000)]
    with tf.io.TFRecordWriter(str(tmp_path / "tf.tfrecord")) as writer:
        for p in payloads:
            writer.write(p)
    assert (tmp_path / "tf.tfrecord").read_bytes() == record_bytes(payloads)
    assert masked_crc(np.zeros((1, 8), np.uint8)).dtype == np.uint32

    codes = rng.integers(0, 5, (300, 110), dtype=np.uint8).tobytes()
    labels = rng.normal(size=300).astype("<f4").tobytes()
    feature = {"codes": tf.train.Feature(bytes_list=tf.train.BytesList(value=[codes])),
               "labels": tf.train.Feature(bytes_list=tf.train.BytesList(value=[labels]))}
    ours = example_bytes({"labels": labels, "codes": codes})
    theirs = tf.train.Example(features=tf.train.Features(feature=feature))
    assert ours == theirs.SerializeToString(deterministic=True)


PREPARE_WITHOUT_TF = textwrap.dedent("""
    import sys
    sys.modules["tensorflow"] = None  # `import tensorflow` raises ImportError
    from promoter_model import records
    records.prepare(sys.argv[1], sys.argv[2], val_fraction=0.2, test_fraction=0.1,
                    shard_size=150)
    print(sum(m.split(".")[0] == "tensorflow" and sys.modules[m] is not None
              for m in sys.modules))
""")


def test_prepare_without_tensorflow_writes_identical_shards(tmp_path):
    seqs = random_promoters(500, seed=5)
    y = np.random.default_rng(2).normal(size=500)
    src = tmp_path / "lib.txt"
    src.write_text("".join(f"{s}\t{v:.4f}\n" for s, v in zip(seqs, y)))
    with_tf = records.prepare(src, tmp_path / "a", val_fraction=0.2, test_fraction=0.1,
                              shard_size=150)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run([sys.executable, "-c", PREPARE_WITHOUT_TF, str(src),
                           str(tmp_path / "b")], capture_output=True, text=True,
                          timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "0"  # TensorFlow was never loaded
    without = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert with_tf["splits"] == without["splits"]  # same shards, same sha256
    shard = tmp_path / "b" / without["splits"]["train"]["shards"][0]["file"]
    codes, labels = read_shard(shard, 110)
    assert codes.shape == (150, 110) and labels.dtype == np.float32
    tf_codes, tf_labels = records.load_split(tmp_path / "b", "train")  # TensorFlow reads it
    assert len(tf_labels) == without["splits"]["train"]["count"]
