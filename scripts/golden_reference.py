#!/usr/bin/env python3
"""Independent float64 NumPy reference for every prep x method, and for the metrics.

Re-implements method.md sections 1.2-1.8 (latentis semantics) directly, with
*real* zero padding and full SVDs (the TypeScript core uses the equivalent
economy form), numpy's gelsd least squares, and brute-force metrics (full
n x n similarity matrices). The unit tests compare the core against the JSON
this writes at 1e-8.

    python3 scripts/golden_reference.py   # writes test/fixtures/golden/reference.json

Needs only numpy (any 1.2x or 2.x).
"""
import json
import os
import numpy as np

PREPS = ["standard", "center", "l2", "center+l2", "none"]
METHODS = ["ortho", "linear", "l-ortho", "affine", "rotation", "similarity"]


def fit_prep(name, a):
    mean = a.mean(0) if name in ("standard", "center", "center+l2") else np.zeros(a.shape[1])
    if name == "standard":
        scale = a.std(0, ddof=1)
        scale[(scale < 10 * np.finfo(np.float64).eps) | (scale == 0)] = 1.0
    else:
        scale = np.ones(a.shape[1])
    shifted = (a - mean) / scale
    mean_norm = np.linalg.norm(shifted, axis=1).mean()
    l2 = name in ("l2", "center+l2")
    return dict(mean=mean, scale=scale, mean_norm=mean_norm, l2=l2)


def apply_prep(s, x):
    z = (x - s["mean"]) / s["scale"]
    if s["l2"]:
        z = z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
    return z


def invert_prep(s, y):
    if s["l2"]:
        y = y * s["mean_norm"]
    return y * s["scale"] + s["mean"]


def pad(m, d):
    return np.hstack([m, np.zeros((m.shape[0], d - m.shape[1]))])


def fit_map(method, xs, ys, ridge=0.0):
    """Returns a function mapping pre-processed source rows to pre-processed target rows."""
    dx, dy = xs.shape[1], ys.shape[1]
    d = max(dx, dy)
    if method in ("ortho", "rotation", "similarity"):
        xp, yp = pad(xs, d), pad(ys, d)
        u, s, vt = np.linalg.svd(xp.T @ yp)  # full, square
        r = u @ vt
        if method == "rotation" and np.linalg.det(r) < 0:
            u[:, -1] *= -1
            r = u @ vt
        scale = s.sum() / (xs ** 2).sum() if method == "similarity" else 1.0
        return lambda z: (scale * (pad(z, d) @ r))[:, :dy]
    if method == "linear":
        w = np.linalg.lstsq(xs, ys, rcond=None)[0]
        return lambda z: z @ w
    if method == "l-ortho":
        w = np.linalg.lstsq(xs, ys, rcond=None)[0]
        u, _, vt = np.linalg.svd(w, full_matrices=False)
        r = u @ vt
        return lambda z: z @ r
    if method == "affine":
        xm, ym = xs.mean(0), ys.mean(0)
        xc, yc = xs - xm, ys - ym
        if ridge > 0:
            w = np.linalg.solve(xc.T @ xc + ridge * np.eye(dx), xc.T @ yc)
        else:
            # the bias is the last row of the augmented least-squares solution (full-rank cases only)
            aug = np.linalg.lstsq(np.hstack([xs, np.ones((xs.shape[0], 1))]), ys, rcond=None)[0]
            w, b = aug[:-1], aug[-1]
            return lambda z: z @ w + b
        b = ym - xm @ w
        return lambda z: z @ w + b
    raise ValueError(method)


def translate(x_anchor, y_anchor, z, prep, method, ridge=0.0):
    sx, sy = fit_prep(prep, x_anchor), fit_prep(prep, y_anchor)
    f = fit_map(method, apply_prep(sx, x_anchor), apply_prep(sy, y_anchor), ridge)
    return invert_prep(sy, f(apply_prep(sx, z)))


def metrics(h, y, k=10):
    n = h.shape[0]
    cos = (h * y).sum(1) / np.maximum(np.linalg.norm(h, axis=1) * np.linalg.norm(y, axis=1), 1e-8)
    hn = h / np.linalg.norm(h, axis=1, keepdims=True)
    yn = y / np.linalg.norm(y, axis=1, keepdims=True)
    s = hn @ yn.T
    rank = 1 + (s > np.diag(s)[:, None]).sum(1)
    kk = min(k, n)
    r_h = np.sort(s, axis=0)[::-1][:kk].mean(0)  # for each target y_j: mean of its kk best translated rows
    r_y = np.sort(s, axis=1)[:, ::-1][:, :kk].mean(1)
    csls = 2 * s - r_y[:, None] - r_h[None, :]
    csls_rank = 1 + (csls > np.diag(csls)[:, None]).sum(1)
    nn_h = np.argsort(-s, axis=1, kind="stable")[:, :kk]
    nn_y = np.argsort(-(yn @ yn.T), axis=1, kind="stable")[:, :kk]
    jac = np.mean([len(set(a) & set(b)) / len(set(a) | set(b)) for a, b in zip(nn_h, nn_y)])
    xc, yc = h - h.mean(0), y - y.mean(0)
    cka = np.linalg.norm(xc.T @ yc) ** 2 / (np.linalg.norm(xc.T @ xc) * np.linalg.norm(yc.T @ yc))

    def scores(r):
        return dict(top1=float(np.mean(r <= 1)), top5=float(np.mean(r <= 5)), top10=float(np.mean(r <= 10)),
                    mrr=float(np.mean(1.0 / r)), meanRank=float(np.mean(r)))

    return dict(count=n, cosine=float(cos.mean()), cosineMedian=float(np.median(cos)),
                mse=float(((h - y) ** 2).mean()),
                relativeError=float(np.linalg.norm(h - y) / np.linalg.norm(y)),
                residualNormMean=float(np.linalg.norm(h - y, axis=1).mean()),
                **scores(rank), csls=scores(csls_rank), jaccard10=float(jac), cka=float(cka),
                rank=rank.tolist(), cslsRank=csls_rank.tolist())


def correlated(rng, n, dx, dy, noise, reflect=False):
    x = rng.normal(size=(n, dx)) * np.linspace(3, 0.5, dx) + rng.normal(size=dx) * 2
    q, _ = np.linalg.qr(rng.normal(size=(max(dx, dy), max(dx, dy))))
    if reflect and np.linalg.det(q) > 0:
        q[:, 0] *= -1
    y = pad(x, max(dx, dy)) @ q
    y = y[:, :dy] * np.linspace(1, 4, dy) + rng.normal(size=dy) * 5 + noise * rng.normal(size=(n, dy))
    return x, y


def main():
    rng = np.random.default_rng(20261128)
    cases = []
    gx = np.array([[1, 20, 0], [0, 10, 3], [2, 0, 1], [3, 10, 1], [1, 30, 2], [2, 20, 5]], float)
    gy = np.array([[1, 0], [2, 10], [0, 20], [1, 30], [3, 10], [2, 25]], float)
    cases.append(("method.md golden 3->2", gx, gy, np.array([[2, 15, 2], [0, 5, 1]], float)))
    cases.append(("method.md golden reversed 2->3", gy, gx, np.array([[2, 15], [0, 5]], float)))
    for name, (n, dx, dy, reflect) in {
        "random 7->5": (40, 7, 5, False),
        "random 5->7": (40, 5, 7, False),
        "random 6->6 with reflection": (30, 6, 6, True),
    }.items():
        x, y = correlated(rng, n + 6, dx, dy, 0.3, reflect)
        cases.append((name, x[:n], y[:n], x[n:]))
    out = {"generator": "scripts/golden_reference.py", "numpy": np.__version__, "cases": []}
    for name, xa, ya, z in cases:
        expected = {}
        for prep in PREPS:
            for method in METHODS:
                expected[f"{prep}/{method}"] = translate(xa, ya, z, prep, method).tolist()
        expected["standard/affine+ridge0.5"] = translate(xa, ya, z, "standard", "affine", 0.5).tolist()
        expected["center/affine+ridge0.5"] = translate(xa, ya, z, "center", "affine", 0.5).tolist()
        out["cases"].append(dict(name=name, anchorsX=xa.tolist(), anchorsY=ya.tolist(), heldOutX=z.tolist(), expected=expected))
    # Under-determined (n < d): only the minimum-norm least squares is unique.
    x, y = correlated(rng, 10, 8, 8, 0.3)
    out["underdetermined"] = dict(anchorsX=x[:4].tolist(), anchorsY=y[:4].tolist(), heldOutX=x[4:].tolist(),
                                  expected={p: translate(x[:4], y[:4], x[4:], p, "linear").tolist() for p in PREPS})
    # Metrics on a noisy translation, including ties-free ranks.
    h, y = correlated(rng, 60, 6, 6, 0.0)
    h = y + rng.normal(size=y.shape) * 2.0
    out["metrics"] = dict(translated=h.tolist(), target=y.tolist(), expected=metrics(h, y))
    cka_x = np.arange(32, dtype=float).reshape(8, 4)
    cka_y = np.array([[1, 2, 27, 22], [0, 28, 15, 18], [12, 9, 14, 8], [11, 19, 16, 13], [31, 20, 10, 3],
                      [24, 5, 7, 29], [4, 30, 21, 6], [26, 17, 23, 25]], float)
    out["cka"] = dict(x=cka_x.tolist(), y=cka_y.tolist(), expected=metrics(cka_x + 1, cka_y)["cka"])
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "test", "fixtures", "golden", "reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.relpath(path)}")


if __name__ == "__main__":
    main()
