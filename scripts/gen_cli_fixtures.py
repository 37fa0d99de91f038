#!/usr/bin/env python3
"""Fixtures for the CLI end-to-end test: one source/target pair of embedding
spaces saved in every supported format, and the expected translations computed
by the independent NumPy reference (scripts/golden_reference.py).

    python3 scripts/gen_cli_fixtures.py && node scripts/gen_cli_parquet.mjs

Writes test/fixtures/cli/. Values are rounded to float32 first, so every
format (float32 or text or float64) stores exactly the same numbers.
"""
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_reference import correlated, translate  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "cli")
N, DX, DY, N_ANCHORS = 60, 6, 4, 40
COMBOS = [("ortho", "standard", 0.0), ("linear", "none", 0.0), ("affine", "center", 0.1), ("similarity", "center+l2", 0.0), ("l-ortho", "l2", 0.0)]


def save_safetensors(path, name, arr, dtype):
    raw = arr.astype({"F32": "<f4", "F64": "<f8"}[dtype]).tobytes()
    header = json.dumps({name: {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [0, len(raw)]}}).encode()
    header += b" " * (-len(header) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + raw)


def fmt(v):
    return repr(float(v))


def write_w2v_text(path, ids, m):
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"{m.shape[0]} {m.shape[1]}\n")
        for i, row in zip(ids, m):
            f.write(i + " " + " ".join(fmt(v) for v in row) + "\n")


def write_w2v_bin(path, ids, m):
    with open(path, "wb") as f:
        f.write(f"{m.shape[0]} {m.shape[1]}\n".encode())
        for i, row in zip(ids, m):
            f.write(i.encode("utf-8") + b" " + row.astype("<f4").tobytes() + b"\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(7)
    x, y = correlated(rng, N, DX, DY, 0.4)
    x = x.astype(np.float32).astype(np.float64)
    y = y.astype(np.float32).astype(np.float64)
    ids = [f"item-{i:02d}" for i in range(N)]
    ids[3] = "naïve"  # a non-ASCII id must survive every format
    labels = [f"class-{i % 3}" for i in range(N)]
    anchor_rows = rng.permutation(N)[:N_ANCHORS]
    held = np.array(sorted(set(range(N)) - set(anchor_rows.tolist())))
    perm = rng.permutation(N)  # target row order for the id-joined files

    # indices and ids lists
    with open(os.path.join(OUT, "anchors.txt"), "w") as f:
        f.write("\n".join(str(i) for i in anchor_rows) + "\n")
    np.save(os.path.join(OUT, "anchors.npy"), anchor_rows.astype(np.int64))
    with open(os.path.join(OUT, "anchor_ids.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(ids[i] for i in anchor_rows) + "\n")
    with open(os.path.join(OUT, "labels.txt"), "w") as f:
        f.write("\n".join(labels) + "\n")

    # npy: float32 source, float64 Fortran-order target
    np.save(os.path.join(OUT, "source.npy"), x.astype(np.float32))
    np.save(os.path.join(OUT, "target.npy"), np.asfortranarray(y))
    # npz: both in one deflated archive
    np.savez_compressed(os.path.join(OUT, "pair.npz"), source=x.astype(np.float32), target=y)
    save_safetensors(os.path.join(OUT, "source.safetensors"), "embedding", x, "F32")
    save_safetensors(os.path.join(OUT, "target.safetensors"), "embedding", y, "F64")
    # csv with a header, an id and a label column
    for name, m in (("source", x), ("target", y)):
        with open(os.path.join(OUT, f"{name}.csv"), "w", encoding="utf-8") as f:
            f.write("id,label," + ",".join(f"d{j}" for j in range(m.shape[1])) + "\n")
            for i in range(N):
                f.write(f"{ids[i]},{labels[i]}," + ",".join(fmt(v) for v in m[i]) + "\n")
        # TensorFlow Embedding Projector pair
        with open(os.path.join(OUT, f"{name}.vectors.tsv"), "w") as f:
            for row in m:
                f.write("\t".join(fmt(v) for v in row) + "\n")
        # jsonl objects
        with open(os.path.join(OUT, f"{name}.jsonl"), "w", encoding="utf-8") as f:
            for i in range(N):
                f.write(json.dumps({"id": ids[i], "label": labels[i], "embedding": m[i].tolist()}, ensure_ascii=False) + "\n")
        # json: array of arrays
        with open(os.path.join(OUT, f"{name}.json"), "w") as f:
            json.dump(m.tolist(), f)
    with open(os.path.join(OUT, "metadata.tsv"), "w", encoding="utf-8") as f:
        f.write("id\tlabel\n" + "".join(f"{ids[i]}\t{labels[i]}\n" for i in range(N)))
    # word2vec text and binary; the target rows are shuffled: only the ids pair them
    write_w2v_text(os.path.join(OUT, "source.vec"), ids, x)
    write_w2v_text(os.path.join(OUT, "target_shuffled.vec"), [ids[p] for p in perm], y[perm])
    write_w2v_bin(os.path.join(OUT, "source.bin"), ids, x)
    write_w2v_bin(os.path.join(OUT, "target_shuffled.bin"), [ids[p] for p in perm], y[perm])

    expected = {}
    for method, prep, ridge in COMBOS:
        t = translate(x[anchor_rows], y[anchor_rows], x[held], prep, method, ridge)
        expected[f"{method}/{prep}"] = dict(method=method, prep=prep, ridge=ridge, translated=t.tolist())
    pair = dict(ids=ids, labels=labels, source=x.tolist(), target=y.tolist(), anchorRows=anchor_rows.tolist(),
                heldOutRows=held.tolist(), targetPermutation=perm.tolist())
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(dict(generator="scripts/gen_cli_fixtures.py", pair=pair, expected=expected), f, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
