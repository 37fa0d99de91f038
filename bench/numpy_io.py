"""NumPy's readers of the same embedding files, for bench/run.mjs --suite io to set beside ours.

usage: python3 numpy_io.py REPS KIND FILE [KIND FILE ...]
KIND: npy, npz (the one member), csv (numbers only), csv-id (a header line and an id column
first), vec (word2vec text: a "count dim" line, then a word and its values per line; np.loadtxt
of the value columns), jsonl ({"id": ..., "embedding": [...]} per line), safetensors (the header, then
np.frombuffer: what safetensors.numpy does; the package is not needed).
Prints one JSON object per file: {"times": [...], "sha256": hash of the values as C-order
float64, "shape": [...]}, so the benchmark can check both readers give the same numbers.
"""
import hashlib
import json
import struct
import sys
import time

import numpy as np


def read_npz(path):
    with np.load(path) as z:
        return z[z.files[0]]


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return np.array([json.loads(line)["embedding"] for line in f if line.strip()], dtype=np.float64)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    name = next(k for k in header if k != "__metadata__")
    info = header[name]
    start, end = info["data_offsets"]
    dtype = {"F32": np.float32, "F64": np.float64, "F16": np.float16}[info["dtype"]]
    return np.frombuffer(data[start:end], dtype=dtype).reshape(info["shape"])


def read_csv_id(path):
    with open(path, encoding="utf-8") as f:
        width = len(f.readline().split(","))
    return np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(1, width), dtype=np.float64)


def read_vec(path):
    with open(path, encoding="utf-8") as f:
        dim = int(f.readline().split()[1])
    return np.loadtxt(path, delimiter=" ", skiprows=1, usecols=range(1, dim + 1), comments=None, dtype=np.float64)


READERS = {
    "npy": np.load,
    "npz": read_npz,
    "csv": lambda p: np.loadtxt(p, delimiter=",", dtype=np.float64),
    "csv-id": read_csv_id,
    "vec": read_vec,
    "jsonl": read_jsonl,
    "safetensors": read_safetensors,
}


def main():
    reps = int(sys.argv[1])
    pairs = sys.argv[2:]
    out = []
    for kind, path in zip(pairs[0::2], pairs[1::2]):
        read = READERS[kind]
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            x = read(path)
            times.append(time.perf_counter() - t)
        values = np.ascontiguousarray(x, dtype=np.float64)
        out.append({"times": times, "sha256": hashlib.sha256(values.tobytes()).hexdigest(), "shape": list(x.shape)})
        del x, values
    print(json.dumps(out))


if __name__ == "__main__":
    main()
