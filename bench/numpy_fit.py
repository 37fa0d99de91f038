"""The NumPy script a user would otherwise run: the same work as `latent-translator fit`.

Loads the two .npy files, standardises with the anchors' statistics, fits the map
(ortho: SVD of XᵀY; rotation: the same with Kabsch's flip; linear: lstsq; l-ortho: polar
factor of the lstsq solution; affine: centred lstsq + bias), translates the held-out rows,
computes the same diagnostics and the same metrics for the held-out pairs, the anchors and the
no-translation baseline (cosine, MSE, residual norms, blocked retrieval ranks, CSLS ranks,
Jaccard@10, linear CKA, PCA axes for the chart) and writes translated.npy, W.npy, pairs.csv and result.json.

float64 throughout (the precision the tool's results are checked against); --float32 runs
the quick-notebook variant in the data's own dtype. Never materialises an n×n matrix.

usage: python3 numpy_fit.py X.npy Y.npy anchors.npy test.npy OUT_DIR METHOD [--float32]
       python3 numpy_fit.py --serve   (one job per stdin line, a JSON list of those arguments;
                                       one JSON line back per job: its wall time in this warm
                                       interpreter, as in a notebook that re-runs a cell)
"""
import json
import os
import resource
import sys
import time

import numpy as np

K = 10
BLOCK_VALUES = 8_000_000


def condition(s, dim):
    """s_max over the smallest singular value above s_max·dim·eps (diagnostics.ts: over the numerical
    rank, so a rank-deficient side, e.g. fewer anchors than dimensions, is not infinite); None if zero."""
    s = np.sort(np.asarray(s, dtype=np.float64))[::-1]
    if len(s) == 0 or not s[0] > 0:
        return None
    kept = s[s > s[0] * dim * np.finfo(np.float64).eps]
    return float(s[0] / kept[-1])


def unit(m):
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-8)


_target_neighbours = {}
_target_gram_norm = {}


def retrieval(h, y):
    n = h.shape[0]
    hn, yn = unit(h), unit(y)
    block = max(1, BLOCK_VALUES // n)
    k = min(K, n)
    rank = np.empty(n, np.int64)
    self_sim = np.empty(n, h.dtype)
    col_top = None  # k largest per column so far
    h_nb = np.empty((n, k), np.int64)
    for s in range(0, n, block):
        S = hn[s:s + block] @ yn.T
        rows = np.arange(S.shape[0])
        self_sim[s:s + block] = S[rows, rows + s]
        rank[s:s + block] = 1 + (S > self_sim[s:s + block, None]).sum(1)
        top = np.partition(S, S.shape[0] - k, axis=0)[-k:] if S.shape[0] > k else S
        col_top = top if col_top is None else np.partition(np.vstack([col_top, top]), col_top.shape[0] + top.shape[0] - k, axis=0)[-k:]
        h_nb[s:s + block] = np.argpartition(-S, k - 1, axis=1)[:, :k]
    r_h = col_top.mean(0)
    csls_rank = np.empty(n, np.int64)
    for s in range(0, n, block):
        S = 2 * (hn[s:s + block] @ yn.T) - r_h[None, :]
        rows = np.arange(S.shape[0])
        own = S[rows, rows + s]
        csls_rank[s:s + block] = 1 + (S > own[:, None]).sum(1)
    y_nb = _target_neighbours.get(id(y))
    if y_nb is None:  # the same targets are scored against the translation and the baseline
        y_nb = np.empty((n, k), np.int64)
        for s in range(0, n, block):
            S = yn[s:s + block] @ yn.T
            y_nb[s:s + block] = np.argpartition(-S, k - 1, axis=1)[:, :k]
        _target_neighbours[id(y)] = y_nb
    jac = np.mean([len(set(a) & set(b)) / len(set(a) | set(b)) for a, b in zip(h_nb.tolist(), y_nb.tolist())])
    return rank, csls_rank, jac


def scores(rank):
    return {"top1": float(np.mean(rank <= 1)), "top5": float(np.mean(rank <= 5)), "top10": float(np.mean(rank <= 10)),
            "mrr": float(np.mean(1.0 / rank)), "meanRank": float(np.mean(rank))}


def cka(x, y):
    xc, yc = x - x.mean(0), y - y.mean(0)
    if id(y) not in _target_gram_norm:
        _target_gram_norm[id(y)] = np.linalg.norm(yc.T @ yc)
    return float(np.linalg.norm(xc.T @ yc) ** 2 / (np.linalg.norm(xc.T @ xc) * _target_gram_norm[id(y)]))


def metrics(h, y):
    dot = np.einsum("ij,ij->i", h, y)
    cos = dot / np.maximum(np.linalg.norm(h, axis=1) * np.linalg.norm(y, axis=1), 1e-8)
    res = np.linalg.norm(h - y, axis=1)
    rank, csls_rank, jac = retrieval(h, y)
    out = {"count": len(h), "cosine": float(cos.mean()), "cosineMedian": float(np.median(cos)),
           "mse": float(np.mean((h - y) ** 2)), "relativeError": float(np.linalg.norm(h - y) / np.linalg.norm(y)),
           "residualNorm": {"mean": float(res.mean()), "median": float(np.median(res)), "p10": float(np.quantile(res, 0.1)),
                            "p90": float(np.quantile(res, 0.9)), "min": float(res.min()), "max": float(res.max())},
           **scores(rank), "csls": scores(csls_rank), "jaccard10": float(jac), "cka": cka(h, y),
           "cosineHistogram": np.histogram(np.clip(cos, -1, 1), bins=40, range=(-1, 1))[0].tolist()}
    return out, cos, res, rank, csls_rank


def main(argv):
    x_path, y_path, a_path, t_path, out_dir, method = argv[:6]
    dtype = np.float32 if "--float32" in argv else np.float64
    t0 = time.perf_counter()
    X = np.load(x_path).astype(dtype)
    Y = np.load(y_path).astype(dtype)
    a_idx, t_idx = np.load(a_path), np.load(t_path)
    ax, ay, hx, hy = X[a_idx], Y[a_idx], X[t_idx], Y[t_idx]
    mx, sx = ax.mean(0), ax.std(0, ddof=1)
    my, sy = ay.mean(0), ay.std(0, ddof=1)
    sx[sx < 10 * np.finfo(np.float64).eps] = 1
    sy[sy < 10 * np.finfo(np.float64).eps] = 1
    xs, ys = (ax - mx) / sx, (ay - my) / sy
    M = xs.T @ ys
    bias = None
    if method in ("ortho", "rotation"):
        U, S, Vt = np.linalg.svd(M, full_matrices=False)
        W = U @ Vt
        if method == "rotation" and W.shape[0] == W.shape[1] and np.linalg.det(W) < 0:
            # Kabsch: flip the direction of the smallest singular value
            U[:, -1] *= -1
            W = U @ Vt
        src_sv = np.sqrt(np.maximum(np.linalg.eigvalsh(xs.T @ xs)[::-1], 0))
    elif method in ("linear", "l-ortho"):
        W, _, _, src_sv = np.linalg.lstsq(xs, ys, rcond=None)
        S = np.linalg.svd(M, compute_uv=False)
        if method == "l-ortho":
            U, _, Vt = np.linalg.svd(W, full_matrices=False)
            W = U @ Vt
    elif method == "affine":
        xm, ym = xs.mean(0), ys.mean(0)
        W, _, _, src_sv = np.linalg.lstsq(xs - xm, ys - ym, rcond=None)
        bias = ym - xm @ W
        S = np.linalg.svd(M, compute_uv=False)
    else:
        raise SystemExit(f"unknown method {method}")
    det = float(np.linalg.det(W)) if W.shape[0] == W.shape[1] and method in ("ortho", "l-ortho", "rotation") else None
    n, dx, dy = xs.shape[0], xs.shape[1], ys.shape[1]
    diagnostics = {"crossCovSingularValues": S.tolist(), "crossCovCondition": condition(S, max(dx, dy)),
                   "sourceCondition": condition(src_sv, max(n, dx)), "determinant": det,
                   "procrustesDisparity": float(max(0, 1 - S.sum() ** 2 / ((xs ** 2).sum() * (ys ** 2).sum())))}

    def translate(x):
        z = ((x - mx) / sx) @ W
        if bias is not None:
            z = z + bias
        return z * sy + my

    held = translate(hx)
    anchors_t = translate(ax)
    held_m, cos, res, rank, csls_rank = metrics(held, hy)
    anchor_m = metrics(anchors_t, ay)[0]
    base = {}
    if hx.shape[1] == hy.shape[1]:
        base_held, base_cos, *_ = metrics(hx, hy)
        base = {"heldOut": base_held, "anchors": metrics(ax, ay)[0]}
    # the panel's PCA chart: top two axes of the held-out targets
    yc = hy - hy.mean(0)
    evals, evecs = np.linalg.eigh(yc.T @ yc)
    axes = evecs[:, ::-1][:, :2]
    rng = np.random.default_rng(0)
    pick = np.sort(rng.choice(len(hy), min(2000, len(hy)), replace=False))
    pca = {"explained": (evals[::-1][:2] / evals.clip(0).sum()).tolist(), "target": (yc[pick] @ axes).round(5).tolist(),
           "translated": ((held[pick] - hy.mean(0)) @ axes).round(5).tolist()}
    os.makedirs(out_dir, exist_ok=True)
    np.save(os.path.join(out_dir, "translated.npy"), held.astype(np.float32))
    np.save(os.path.join(out_dir, "W.npy"), W)
    with open(os.path.join(out_dir, "pairs.csv"), "w") as f:
        f.write("key,cosine,residual_norm,rank,csls_rank,baseline_cosine\n")
        bc = base_cos if base else np.full(len(cos), np.nan)
        f.writelines(f"{k},{c!r},{r!r},{a},{b},{z!r}\n" for k, c, r, a, b, z in zip(t_idx.tolist(), cos.tolist(), res.tolist(), rank.tolist(), csls_rank.tolist(), bc.tolist()))
    result = {"method": method, "dtype": np.dtype(dtype).name, "diagnostics": diagnostics, "heldOut": held_m, "anchors": anchor_m,
              "baseline": base, "pca": pca, "seconds": time.perf_counter() - t0,
              "maxRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
    with open(os.path.join(out_dir, "result.json"), "w") as f:
        json.dump(result, f)


def serve():
    for line in sys.stdin:
        t0 = time.perf_counter()
        main(json.loads(line))
        print(json.dumps({"seconds": time.perf_counter() - t0}), flush=True)


if __name__ == "__main__":
    if "--serve" in sys.argv:
        serve()
    else:
        main(sys.argv[1:])
