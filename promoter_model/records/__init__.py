"""TFRecord shards of encoded promoters, their manifest, and tf.data input pipelines.

Layout of a prepared data folder (local path or ``gs://``)::

    manifest.json              written last, atomically: counts, checksums, settings
    train-00000.tfrecord ...   shards of ``shard_size`` sequences (the last one may be short)
    val-00000.tfrecord ...
    test-00000.tfrecord ...

Each TFRecord record is one ``tf.train.Example`` holding a *block* of up to
:data:`BLOCK_SIZE` sequences, so writing and reading cost one protobuf per block, not per
sequence:

* ``codes``: bytes, ``n * seq_len`` base codes, one byte per base (0-3 = A, C, G, T; 4 = N),
  row-major;
* ``labels``: bytes, ``n`` little-endian float32 expression values.

The reader decodes the bytes and builds the one-hot tensor in the graph
(``tf.io.decode_raw`` + ``tf.one_hot(depth=4)``, so code 4 = N becomes all zeros).

Splits are assigned by a seeded hash of the *fitted* sequence (the 110 bp the model sees),
so identical sequences always land in the same split whatever the row order or chunking.

The package is split along its seams: :mod:`.manifest` (constants, :class:`DataError`,
file helpers, manifest checks), :mod:`.hashing` (split assignment), :mod:`.writing`
(``prepare``, ``write_shard``) and :mod:`.readers` (tf.data pipelines, ``load_split``).
The public names are re-exported here, so ``from promoter_model import records;
records.prepare(...)`` keeps working.
"""

from promoter_model.records.hashing import hash_codes, split_of
from promoter_model.records.manifest import (
    BLOCK_SIZE,
    FIT_CONVENTION,
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST,
    SPLIT_HASH,
    SPLITS,
    DataError,
    read_manifest,
    verify_shards,
)
from promoter_model.records.readers import load_split, make_dataset
from promoter_model.records.writing import prepare, write_shard

__all__ = [
    "BLOCK_SIZE", "FIT_CONVENTION", "FORMAT_NAME", "FORMAT_VERSION", "MANIFEST", "SPLITS",
    "SPLIT_HASH", "DataError", "hash_codes", "load_split", "make_dataset", "prepare",
    "read_manifest", "split_of", "verify_shards", "write_shard",
]
