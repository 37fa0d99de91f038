"""NumPy timings of the heavy steps, for bench/run.mjs to set beside ours (same data files).

usage: python3 numpy_ops.py X.npy Y.npy REPS OUT_DIR
Prints one JSON object: op -> {"times": [...], "maxRssBytes": ...}; writes W_ortho.npy, W_lstsq.npy,
ranks.npy into OUT_DIR so the benchmark can report our error against these float64 results.
"""
import json
import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy_fit  # noqa: E402


def retrieval(h, y):
    # one full computation per call: the job script's per-target cache must not carry over
    numpy_fit._target_neighbours.clear()
    return numpy_fit.retrieval(h, y)


def timed(fn, reps):
    times, out = [], None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return times, out


def main():
    x_path, y_path, reps, out_dir = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    X = np.load(x_path).astype(np.float64)
    Y = np.load(y_path).astype(np.float64)
    n = X.shape[0] // 2
    xs = (X[:n] - X[:n].mean(0)) / X[:n].std(0, ddof=1)
    ys = (Y[:n] - Y[:n].mean(0)) / Y[:n].std(0, ddof=1)
    res = {}
    res["crossprod"], M = timed(lambda: xs.T @ ys, reps)

    def ortho():
        U, S, Vt = np.linalg.svd(M, full_matrices=False)
        return U @ Vt

    res["ortho"], W = timed(ortho, reps)
    res["lstsq"], L = timed(lambda: np.linalg.lstsq(xs, ys, rcond=None)[0], reps)
    res["retrieval"], R = timed(lambda: retrieval(X[n:], Y[n:]), max(1, min(reps, 3)))
    os.makedirs(out_dir, exist_ok=True)
    np.save(os.path.join(out_dir, "W_ortho.npy"), W)
    np.save(os.path.join(out_dir, "W_lstsq.npy"), L)
    np.save(os.path.join(out_dir, "ranks.npy"), np.stack([R[0], R[1]]).astype(np.int32))
    print(json.dumps({"times": res, "jaccard": R[2], "maxRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


if __name__ == "__main__":
    main()
