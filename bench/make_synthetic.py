"""Write a synthetic training file in the exact DREAM 2022 format, fast.

    python bench/make_synthetic.py /tmp/synthetic.txt --rows 6739258 --seed 0

Rows are ``sequence<TAB>expression`` without header, like ``train_sequences.txt``:
``TGCATTTTTTTCACATC`` + random region + ``GGTTACGGCTGTT``, 87-135 bp with about 82% exactly
110 bp; expression 0-17 with about 58% whole numbers (single-cell FACS bins), the rest
written with 13 decimals. Expression is a clipped function of the counts of a few planted
motifs (TTACCCG, TGACTCA, TATAAA, ...) plus GC content and noise, so a model can learn it.

Everything is vectorised: a chunk is built as one (rows, width) byte matrix, and the valid
bytes of each row are extracted with a boolean mask and written with one ``tobytes``.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

FLANK_5 = b"TGCATTTTTTTCACATC"
FLANK_3 = b"GGTTACGGCTGTT"
MIN_LEN, MAX_LEN, STD_LEN = 87, 135, 110
FIXED = len(FLANK_5) + len(FLANK_3)
MAX_RANDOM = MAX_LEN - FIXED
LETTERS = np.frombuffer(b"ACGT", dtype=np.uint8)
# motif (codes), effect per occurrence, planting probability
MOTIFS = [("TTACCCG", 2.5, 0.25), ("TGACTCA", 2.0, 0.25), ("TATAAA", 1.5, 0.3),
          ("CACGTG", -1.5, 0.2), ("GGGGCGGGG", -1.0, 0.1)]
DECIMALS = 13


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode(), dtype=np.uint8).copy()


def sample_lengths(rng, n: int) -> np.ndarray:
    """Sequence lengths, shape (n,): 82% 110 bp, mostly short deletions otherwise."""
    lengths = np.full(n, STD_LEN, dtype=np.int64)
    other = rng.random(n) >= 0.82
    m = int(other.sum())
    shorter = rng.random(m) < 0.93
    step = rng.geometric(0.55, size=m)
    lengths[other] = np.where(shorter, STD_LEN - step, STD_LEN + step)
    return np.clip(lengths, MIN_LEN, MAX_LEN)


def random_regions(rng, n: int, region_len: np.ndarray) -> np.ndarray:
    """Random ACGT letters with planted motifs, shape (n, MAX_RANDOM), uint8 ASCII."""
    letters = LETTERS[rng.integers(0, 4, size=(n, MAX_RANDOM), dtype=np.uint8)]
    for motif, _effect, p in MOTIFS:
        m = _codes(motif)
        rows = np.flatnonzero(rng.random(n) < p)
        room = np.maximum(region_len[rows] - len(m), 1)
        start = (rng.random(rows.size) * room).astype(np.int64)
        cols = start[:, None] + np.arange(len(m))
        letters[rows[:, None], np.minimum(cols, MAX_RANDOM - 1)] = m
    return letters


def count_motif(letters: np.ndarray, region_len: np.ndarray, motif: str) -> np.ndarray:
    """Occurrences of ``motif`` inside each row's random region, shape (n,)."""
    m = _codes(motif)
    width = MAX_RANDOM - len(m) + 1
    hit = np.ones((letters.shape[0], width), dtype=bool)
    for t, ch in enumerate(m):
        hit &= letters[:, t:t + width] == ch
    hit &= np.arange(width) <= (region_len[:, None] - len(m))
    return hit.sum(axis=1)


def expression(rng, letters, region_len) -> np.ndarray:
    """Synthetic expression 0-17, shape (n,), float64; ~58% rounded to whole numbers."""
    y = np.full(letters.shape[0], 9.0)
    for motif, effect, _p in MOTIFS:
        y += effect * count_motif(letters, region_len, motif)
    in_region = np.arange(MAX_RANDOM) < region_len[:, None]
    gc = (((letters == ord("G")) | (letters == ord("C"))) & in_region).sum(1) / region_len
    y += 6.0 * (gc - 0.5) + rng.normal(0.0, 1.8, size=y.shape)
    y = np.clip(y, 0.0, 17.0)
    whole = rng.random(y.size) < 0.58
    y[whole] = np.round(y[whole])
    y[~whole] = np.clip(y[~whole], 1e-6, 17.0 - 1e-6)
    return y


def label_bytes(y: np.ndarray):
    """ASCII of each label, shape (n, 2 + 1 + DECIMALS) uint8, and each label's length."""
    n = y.size
    ipart = np.floor(y).astype(np.int64)
    frac = np.rint((y - ipart) * 10**DECIMALS).astype(np.int64)
    carry = frac >= 10**DECIMALS
    ipart[carry] += 1
    frac[carry] = 0
    whole = frac == 0
    two = ipart >= 10
    out = np.zeros((n, 3 + DECIMALS), dtype=np.uint8)
    out[:, 0] = np.where(two, ord("0") + ipart // 10, ord("0") + ipart)
    out[:, 1] = np.where(two, ord("0") + ipart % 10, ord("."))
    powers = 10 ** np.arange(DECIMALS - 1, -1, -1, dtype=np.int64)
    digits = (ord("0") + (frac[:, None] // powers) % 10).astype(np.uint8)
    # fractional digits start after "d." or "dd."
    cols = np.arange(DECIMALS) + np.where(two, 3, 2)[:, None]
    out[np.arange(n)[:, None], cols] = digits
    out[two, 2] = ord(".")
    n_int = np.where(two, 2, 1)
    # drop trailing zeros of the decimals like Python's repr would
    nz = digits != ord("0")
    last = DECIMALS - np.argmax(nz[:, ::-1], axis=1)
    length = np.where(whole, n_int, n_int + 1 + last)
    return out, length


def make_chunk(rng, n: int) -> bytes:
    """``n`` rows of DREAM-format text."""
    lengths = sample_lengths(rng, n)
    region_len = lengths - FIXED
    letters = random_regions(rng, n, region_len)
    y = expression(rng, letters, region_len)
    lab, lab_len = label_bytes(y)
    width = MAX_LEN + 1 + lab.shape[1] + 1
    out = np.zeros((n, width), dtype=np.uint8)
    out[:, : len(FLANK_5)] = np.frombuffer(FLANK_5, dtype=np.uint8)
    out[:, len(FLANK_5): len(FLANK_5) + MAX_RANDOM] = letters
    rows = np.arange(n)[:, None]
    out[rows, lengths[:, None] - len(FLANK_3) + np.arange(len(FLANK_3))] = \
        np.frombuffer(FLANK_3, dtype=np.uint8)
    out[np.arange(n), lengths] = ord("\t")
    out[rows, lengths[:, None] + 1 + np.arange(lab.shape[1])] = lab  # tail masked below
    end = lengths + 1 + lab_len
    out[np.arange(n), end] = ord("\n")
    mask = np.arange(width) <= end[:, None]
    return out[mask].tobytes()


def write_synthetic(path, rows: int, seed: int = 0, chunk: int = 500_000) -> int:
    """Write ``rows`` rows to ``path``; returns the bytes written."""
    rng = np.random.default_rng(seed)
    total = 0
    with open(path, "wb") as fh:
        for start in range(0, rows, chunk):
            data = make_chunk(rng, min(chunk, rows - start))
            fh.write(data)
            total += len(data)
    return total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out")
    parser.add_argument("--rows", type=int, default=6_739_258)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    size = write_synthetic(args.out, args.rows, args.seed)
    dt = time.perf_counter() - t0
    print(f"wrote {args.rows:,} rows, {size / 1e6:.1f} MB to {args.out} in {dt:.1f} s "
          f"({args.rows / dt / 1e6:.2f} M rows/s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
