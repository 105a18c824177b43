#!/usr/bin/python3
"""Anchor for `pnpm bench:data`: GPT-NeoX's own numpy path on the same files, timed.

index_build: doc_idx and shuffle_idx exactly as GPT-NeoX builds them (np.random.RandomState + shuffle,
np.save); sample_idx (a C++ loop in GPT-NeoX's helpers.cpp) by an equivalent vectorised numpy
searchsorted in chunks, so the anchor runs at C speed without compiling GPT-NeoX's extension.
random_reads: GPT2Dataset.__getitem__'s slicing over np.memmap of the .bin and the .npy caches loaded
with mmap_mode="r", as GPT-NeoX reads them; the sample indices come from SAMPLES_FILE (int32, written by
bench/reads.ts), the first WARMUP untimed, then PASSES passes of PER_PASS, each timed in wall and CPU
time. One Python thread.

usage: anchor.py build PREFIX NUM_SAMPLES SEQ_LENGTH SEED OUT_DIR
       anchor.py reads PREFIX STEM SEQ_LENGTH SAMPLES_FILE WARMUP PASSES PER_PASS
Prints one JSON object.
"""

import json
import resource
import struct
import sys
import time

import numpy as np

DTYPES = {1: np.uint8, 2: np.int8, 3: np.int16, 4: np.int32, 5: np.int64, 6: np.float32, 7: np.float64, 8: np.uint16}


def read_idx(prefix):
    with open(prefix + ".idx", "rb") as f:
        head = f.read(34)
    code = head[17]
    (n,) = struct.unpack("<Q", head[18:26])
    buf = np.memmap(prefix + ".idx", mode="r")
    sizes = np.frombuffer(buf, dtype=np.int32, count=n, offset=34)
    pointers = np.frombuffer(buf, dtype=np.int64, count=n, offset=34 + 4 * n)
    return DTYPES[code], sizes, pointers


def build(prefix, num_samples, seq, seed, out):
    t0 = time.time()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = ru0.ru_utime + ru0.ru_stime
    _, sizes, _ = read_idx(prefix)
    tokens = int(np.sum(sizes, dtype=np.int64))
    epochs = 0
    while True:
        epochs += 1
        if (epochs * tokens - 1) // seq >= num_samples:
            break
    rng = np.random.RandomState(seed=seed)
    doc_idx = np.tile(np.arange(len(sizes), dtype=np.int32), epochs)
    rng.shuffle(doc_idx)
    np.save(out + "/anchor_doc_idx.npy", doc_idx, allow_pickle=True)
    total = (epochs * tokens - 1) // seq
    ends = np.cumsum(sizes[doc_idx], dtype=np.int64)
    sample_idx = np.lib.format.open_memmap(out + "/anchor_sample_idx.npy", mode="w+", dtype=np.int32,
                                           shape=(total + 1, 2))
    chunk = 1 << 24
    for s in range(0, total + 1, chunk):
        pos = np.arange(s, min(total + 1, s + chunk), dtype=np.int64) * seq
        k = np.searchsorted(ends, pos, side="right")
        sample_idx[s : s + len(pos), 0] = k
        sample_idx[s : s + len(pos), 1] = pos - (ends[k] - sizes[doc_idx[k]])
    sample_idx.flush()
    del sample_idx
    shuffle_idx = np.arange(total, dtype=np.uint32)
    rng.shuffle(shuffle_idx)
    np.save(out + "/anchor_shuffle_idx.npy", shuffle_idx, allow_pickle=True)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {"seconds": time.time() - t0, "cpu_seconds": ru.ru_utime + ru.ru_stime - cpu0,
            "num_epochs": epochs, "samples": total,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def reads(prefix, stem, seq, samples_file, warmup, passes, per_pass):
    dtype, sizes, pointers = read_idx(prefix)
    data = np.memmap(prefix + ".bin", mode="r", dtype=np.uint8)
    doc_idx = np.load(stem + "_doc_idx.npy", mmap_mode="r")
    sample_idx = np.load(stem + "_sample_idx.npy", mmap_mode="r")
    shuffle_idx = np.load(stem + "_shuffle_idx.npy", mmap_mode="r")
    size = np.dtype(dtype).itemsize

    def get(i, offset=0, length=None):
        n = int(sizes[i]) - offset if length is None else length
        return np.frombuffer(data, dtype=dtype, count=n, offset=int(pointers[i]) + offset * size)

    def item(i):
        j = shuffle_idx[i]
        f, of = sample_idx[j]
        l, ol = sample_idx[j + 1]
        if f == l:
            out = get(doc_idx[f], of, ol - of + 1)
        else:
            parts = [get(doc_idx[f], of)] + [get(doc_idx[m]) for m in range(f + 1, l)] + [get(doc_idx[l], 0, ol + 1)]
            out = np.concatenate(parts)
        return np.array(out[: seq + 1], dtype=np.int64)

    # The same sample indices as ours (written by bench/reads.ts), the same warm-up and passes.
    samples = np.fromfile(samples_file, dtype="<i4").tolist()

    def timed(lo, hi):
        t0, c0 = time.perf_counter(), time.process_time()
        for i in samples[lo:hi]:
            item(i)
        return {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0}

    warm = timed(0, warmup)
    timed_passes = [timed(warmup + p * per_pass, warmup + (p + 1) * per_pass) for p in range(passes)]
    token_sum = sum(int(item(i).sum()) for i in samples[warmup : warmup + per_pass])
    return {"warmup": warm, "passes": timed_passes, "token_sum": token_sum}


if __name__ == "__main__":
    if sys.argv[1] == "build":
        r = build(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
    else:
        r = reads(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], *map(int, sys.argv[6:9]))
    print(json.dumps(r))
