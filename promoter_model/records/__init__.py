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
so identical sequences always land in the same split whatever the row order or chunking;
or, with ``prepare(split="family")``, by a hash of each row's *family* (near copies, shared
30-mers: :mod:`promoter_model.families`), so no family sits on two sides.

Modules
-------
fs
    :class:`DataError`, local and ``gs://`` files (:func:`gfile`: local paths through
    ``os``, remote ones through ``tf.io.gfile``) and :func:`sha256_file`, the package's one
    file digest.
manifest
    Format constants, :func:`read_manifest`, :func:`verify_shards`, and the manifest's
    bookkeeping while preparing.
inputs
    Reading the inputs (:func:`input_format`, :func:`iter_input`) and the family pass of
    ``prepare(split="family")``.
hashing
    :func:`hash_codes`, :func:`split_of`: a seeded hash of the fitted sequence decides the
    split (and cross-validation folds).
writing
    :func:`prepare`, :func:`write_shard`.
readers
    tf.data pipelines (:func:`make_dataset`) and whole splits as arrays (:func:`load_split`).
arrays
    Shards read with numpy alone and a Keras batch source, for installs without TensorFlow.

The public names are re-exported here, so ``from promoter_model import records;
records.prepare(...)`` keeps working.
"""

from promoter_model.records.fs import DataError, LocalFiles, sha256_file
from promoter_model.records.hashing import hash_codes, split_of
from promoter_model.records.manifest import (
    BLOCK_SIZE,
    FIT_CONVENTION,
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST,
    SPLIT_HASH,
    SPLITS,
    read_manifest,
    verify_shards,
)
from promoter_model.records.readers import load_split, make_dataset
from promoter_model.records.writing import prepare, write_shard

__all__ = [
    "BLOCK_SIZE", "FIT_CONVENTION", "FORMAT_NAME", "FORMAT_VERSION", "MANIFEST", "SPLITS",
    "SPLIT_HASH", "DataError", "LocalFiles", "hash_codes", "load_split", "make_dataset", "prepare",
    "read_manifest", "sha256_file", "split_of", "verify_shards", "write_shard",
]
