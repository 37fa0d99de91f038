#!/usr/bin/python3
"""Regenerate the bundled Fashion-MNIST sample in samples/fmnist/.

Trains four small encoders of different architectures and latent sizes on the
Fashion-MNIST training split (60k images), embeds the same 3000 images with each
of them (rows 0..1999: a fixed random subset of the training split, rows
2000..2999: a fixed random subset of the test split), exports the encoders and
classifier heads (and the autoencoder's decoder) to ONNX, writes a manifest,
and finally runs a numpy sanity check of anchor-based translation
(standard scaling + orthogonal Procrustes) between a few pairs of spaces.

Usage:
    /usr/bin/python3 scripts/make_sample.py [--out samples/fmnist]
        [--data-dir /usr/share/datasets/fashion-mnist]

Dependencies (Debian 12):
    apt-get install python3-torch python3-numpy python3-onnx dataset-fashion-mnist

Everything is seeded and runs single-threaded with deterministic algorithms, so
two runs on the same machine produce byte-identical files.
"""

import argparse
import gzip
import hashlib
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------- constants

CLASS_NAMES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
N_TRAIN_ROWS = 2000          # rows 0..1999 (anchor pool)
N_TEST_ROWS = 1000           # rows 2000..2999 (held out)
N_ROWS = N_TRAIN_ROWS + N_TEST_ROWS
SAMPLE_SEED = 0              # numpy Generator for row selection and anchor order
BATCH_SIZE = 128
LR = 1e-3
OPSET = 13
EVAL_BATCH = 1000

SPACES = [
    # name, seed, epochs
    ("mlp_a", 1, 5),
    ("mlp_b", 2, 5),
    ("cnn", 3, 4),
    ("ae", 4, 8),
]
AE_HEAD_EPOCHS = 10
AE_HEAD_SEED = 5

DEFAULT_OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples", "fmnist")
DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"


def setup_determinism():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False


# ---------------------------------------------------------------- data

def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic = int.from_bytes(raw[0:4], "big")
    if magic == 2051:
        n, rows, cols = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
        return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, rows, cols).copy()
    if magic == 2049:
        n = int.from_bytes(raw[4:8], "big")
        return np.frombuffer(raw, dtype=np.uint8, offset=8).reshape(n).astype(np.int64)
    raise ValueError(f"{path}: unknown idx magic {magic}")


def load_fmnist(data_dir):
    files = {
        "train_images": "train-images-idx3-ubyte.gz",
        "train_labels": "train-labels-idx1-ubyte.gz",
        "test_images": "t10k-images-idx3-ubyte.gz",
        "test_labels": "t10k-labels-idx1-ubyte.gz",
    }
    out = {}
    for key, name in files.items():
        path = os.path.join(data_dir, name)
        if not os.path.exists(path):
            sys.exit(f"missing {path}: apt-get install dataset-fashion-mnist (or pass --data-dir)")
        out[key] = read_idx(path)
    return out


def to_input(images_u8):
    """uint8 (N,28,28) -> float32 (N,1,28,28) in [0,1]: the encoders' input preprocessing."""
    return torch.from_numpy(images_u8.astype(np.float32) / np.float32(255.0)).unsqueeze(1)


# ---------------------------------------------------------------- models

class MLPEncoder(nn.Module):
    """784 -> 128 (ReLU) -> 64 (linear latent)."""

    def __init__(self, latent=64):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, latent)

    def forward(self, x):
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))


class CNNEncoder(nn.Module):
    """conv3x3(1->16)+ReLU+maxpool2 -> conv3x3(16->32)+ReLU+maxpool2 -> linear 1568 -> 48 (linear latent)."""

    def __init__(self, latent=48):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc = nn.Linear(32 * 7 * 7, latent)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(torch.flatten(x, 1))


class AEEncoder(nn.Module):
    """784 -> 128 (ReLU) -> 32 (linear latent)."""

    def __init__(self, latent=32):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, latent)

    def forward(self, x):
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))


class AEDecoder(nn.Module):
    """32 -> 128 (ReLU) -> 784 (sigmoid)."""

    def __init__(self, latent=32):
        super().__init__()
        self.fc1 = nn.Linear(latent, 128)
        self.fc2 = nn.Linear(128, 784)

    def forward(self, z):
        return torch.sigmoid(self.fc2(F.relu(self.fc1(z))))


ARCH = {
    "mlp_a": ("MLP: flatten 784 -> Linear 128 + ReLU -> Linear 64 (latent, no activation); head Linear 64 -> 10", 64),
    "mlp_b": ("MLP: flatten 784 -> Linear 128 + ReLU -> Linear 64 (latent, no activation); head Linear 64 -> 10", 64),
    "cnn": ("CNN: Conv3x3 1->16 + ReLU + MaxPool2 -> Conv3x3 16->32 + ReLU + MaxPool2 -> flatten 1568 -> "
            "Linear 48 (latent, no activation); head Linear 48 -> 10", 48),
    "ae": ("Autoencoder: encoder flatten 784 -> Linear 128 + ReLU -> Linear 32 (latent, no activation); "
           "decoder Linear 32 -> 128 + ReLU -> Linear 784 + sigmoid; head Linear 32 -> 10 trained afterwards "
           "on the frozen latents", 32),
}


def make_encoder(name):
    if name.startswith("mlp"):
        return MLPEncoder(64)
    if name == "cnn":
        return CNNEncoder(48)
    if name == "ae":
        return AEEncoder(32)
    raise ValueError(name)


# ---------------------------------------------------------------- training

def batches(n, epoch_gen):
    perm = torch.randperm(n, generator=epoch_gen)
    for i in range(0, n, BATCH_SIZE):
        yield perm[i:i + BATCH_SIZE]


@torch.no_grad()
def embed(encoder, x):
    encoder.eval()
    return torch.cat([encoder(x[i:i + EVAL_BATCH]) for i in range(0, len(x), EVAL_BATCH)])


@torch.no_grad()
def accuracy(head, z, y):
    head.eval()
    pred = head(z).argmax(1)
    return int((pred == y).sum()), len(y)


def train_classifier_space(name, seed, epochs, x_train, y_train, x_test, y_test):
    torch.manual_seed(seed)
    enc = make_encoder(name)
    head = nn.Linear(ARCH[name][1], 10)
    params = list(enc.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=LR)
    gen = torch.Generator().manual_seed(seed)
    for ep in range(epochs):
        enc.train(); head.train()
        tot, cnt = 0.0, 0
        for idx in batches(len(x_train), gen):
            opt.zero_grad()
            loss = F.cross_entropy(head(enc(x_train[idx])), y_train[idx])
            loss.backward()
            opt.step()
            tot += float(loss) * len(idx); cnt += len(idx)
        z = embed(enc, x_test)
        c, n = accuracy(head, z, y_test)
        print(f"  [{name}] epoch {ep + 1}/{epochs} train loss {tot / cnt:.4f} test acc {c / n:.4f}", flush=True)
    enc.eval(); head.eval()
    return enc, head, {}


def train_ae_space(name, seed, epochs, x_train, y_train, x_test, y_test):
    torch.manual_seed(seed)
    enc, dec = AEEncoder(32), AEDecoder(32)
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=LR)
    gen = torch.Generator().manual_seed(seed)
    flat_test = torch.flatten(x_test, 1)
    for ep in range(epochs):
        enc.train(); dec.train()
        tot, cnt = 0.0, 0
        for idx in batches(len(x_train), gen):
            xb = x_train[idx]
            opt.zero_grad()
            loss = F.mse_loss(dec(enc(xb)), torch.flatten(xb, 1))
            loss.backward()
            opt.step()
            tot += float(loss) * len(idx); cnt += len(idx)
        enc.eval(); dec.eval()
        with torch.no_grad():
            mse = float(F.mse_loss(dec(embed(enc, x_test)), flat_test))
        print(f"  [{name}] epoch {ep + 1}/{epochs} train mse {tot / cnt:.5f} test mse {mse:.5f}", flush=True)
    enc.eval(); dec.eval()
    for p in enc.parameters():
        p.requires_grad_(False)

    # classifier head on the frozen latents
    z_train = embed(enc, x_train)
    z_test = embed(enc, x_test)
    torch.manual_seed(AE_HEAD_SEED)
    head = nn.Linear(32, 10)
    opt = torch.optim.Adam(head.parameters(), lr=LR)
    gen = torch.Generator().manual_seed(AE_HEAD_SEED)
    for ep in range(AE_HEAD_EPOCHS):
        head.train()
        for idx in batches(len(z_train), gen):
            opt.zero_grad()
            F.cross_entropy(head(z_train[idx]), y_train[idx]).backward()
            opt.step()
    c, n = accuracy(head, z_test, y_test)
    print(f"  [{name}] head ({AE_HEAD_EPOCHS} epochs on frozen latents) test acc {c / n:.4f}", flush=True)
    head.eval()
    with torch.no_grad():
        test_mse = float(F.mse_loss(dec(z_test), flat_test))
        train_mse = float(F.mse_loss(dec(z_train), torch.flatten(x_train, 1)))
    return enc, head, {"decoder": dec, "test_mse": test_mse, "train_mse": train_mse}


# ---------------------------------------------------------------- export

def export_onnx(module, example, path, in_name, out_name):
    module.eval()
    torch.onnx.export(
        module, example, path,
        input_names=[in_name], output_names=[out_name],
        dynamic_axes={in_name: {0: "batch"}, out_name: {0: "batch"}},
        opset_version=OPSET, do_constant_folding=True, export_params=True,
    )
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def save_npy(path, arr, dtype):
    arr = np.ascontiguousarray(arr, dtype=np.dtype(dtype).newbyteorder("<"))
    np.save(path, arr, allow_pickle=False)


# ---------------------------------------------------------------- sanity check

def translate_procrustes(xs_all, yt_all, anchors, test):
    """Standard-scale each side with anchor stats, orthogonal Procrustes on the anchors,
    translate the test rows and de-standardise with the target anchor stats (float64)."""
    xs_a, yt_a = xs_all[anchors], yt_all[anchors]
    mx, sx = xs_a.mean(0), xs_a.std(0, ddof=1)
    my, sy = yt_a.mean(0), yt_a.std(0, ddof=1)
    sx = np.where(sx > 0, sx, 1.0)
    sy = np.where(sy > 0, sy, 1.0)
    xs = (xs_a - mx) / sx
    ys = (yt_a - my) / sy
    # economy SVD of Xs^T Ys (ds x dt); R = U V^T is the top-left block of the
    # zero-padded square solution, so no explicit padding is needed.
    u, _, vt = np.linalg.svd(xs.T @ ys, full_matrices=False)
    r = u @ vt
    xt = (xs_all[test] - mx) / sx
    return (xt @ r) * sy + my


def mean_cosine(a, b):
    num = (a * b).sum(1)
    den = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return float(np.mean(num / np.maximum(den, 1e-300)))


def sanity_check(out_dir, heads, pairs, anchor_count):
    print(f"\nSanity check (numpy float64, {anchor_count} anchors = first entries of anchors.npy, "
          f"test rows = test_idx.npy):", flush=True)
    labels = np.load(os.path.join(out_dir, "labels.npy"))
    anchors = np.load(os.path.join(out_dir, "anchors.npy"))[:anchor_count]
    test = np.load(os.path.join(out_dir, "test_idx.npy"))
    results = []
    for src, tgt in pairs:
        xs = np.load(os.path.join(out_dir, f"{src}.npy")).astype(np.float64)
        yt = np.load(os.path.join(out_dir, f"{tgt}.npy")).astype(np.float64)
        pred = translate_procrustes(xs, yt, anchors, test)
        true = yt[test]
        w, b = heads[tgt]
        acc_t = float(np.mean((pred @ w.T + b).argmax(1) == labels[test]))
        acc_n = float(np.mean((true @ w.T + b).argmax(1) == labels[test]))
        cos_t = mean_cosine(pred, true)
        # baselines: (i) predict the target anchor mean for every row; (ii) no rotation:
        # the standardised source zero-padded/truncated to the target dim, de-standardised.
        ya = yt[anchors]
        cos_mean = mean_cosine(np.broadcast_to(ya.mean(0), true.shape), true)
        xa = xs[anchors]
        sx = xa.std(0, ddof=1); sx = np.where(sx > 0, sx, 1.0)
        z = (xs[test] - xa.mean(0)) / sx
        d = yt.shape[1]
        z = z[:, :d] if z.shape[1] >= d else np.pad(z, ((0, 0), (0, d - z.shape[1])))
        ident = z * ya.std(0, ddof=1) + ya.mean(0)
        cos_id = mean_cosine(ident, true)
        print(f"  {src:>5} -> {tgt:<5}: mean cosine translated {cos_t:.4f} | baselines: untranslated "
              f"(pad/truncate, no rotation) {cos_id:.4f}, target anchor mean {cos_mean:.4f} | "
              f"target classifier acc: translated {acc_t:.4f} vs native {acc_n:.4f}", flush=True)
        results.append({
            "source": src, "target": tgt, "anchor_count": int(anchor_count),
            "mean_cosine_translated": round(cos_t, 4),
            "mean_cosine_untranslated": round(cos_id, 4),
            "mean_cosine_anchor_mean": round(cos_mean, 4),
            "target_classifier_accuracy_translated": round(acc_t, 4),
            "target_classifier_accuracy_native": round(acc_n, 4),
        })
    return results


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT, help="output directory (default: samples/fmnist)")
    ap.add_argument("--data-dir", default=DEFAULT_DATA, help="directory with the Fashion-MNIST *-ubyte.gz files")
    args = ap.parse_args()

    t_start = time.time()
    setup_determinism()
    out_dir = args.out
    model_dir = os.path.join(out_dir, "models")
    os.makedirs(model_dir, exist_ok=True)

    data = load_fmnist(args.data_dir)
    tr_img, tr_lab = data["train_images"], data["train_labels"]
    te_img, te_lab = data["test_images"], data["test_labels"]
    x_train, y_train = to_input(tr_img), torch.from_numpy(tr_lab)
    x_test, y_test = to_input(te_img), torch.from_numpy(te_lab)
    print(f"Fashion-MNIST: train {tr_img.shape}, test {te_img.shape}", flush=True)

    # ---- row selection (fixed, seeded)
    rng = np.random.default_rng(SAMPLE_SEED)
    train_sel = rng.permutation(len(tr_img))[:N_TRAIN_ROWS].astype(np.int64)
    test_sel = rng.permutation(len(te_img))[:N_TEST_ROWS].astype(np.int64)
    train_idx = np.arange(0, N_TRAIN_ROWS, dtype=np.int64)
    test_idx = np.arange(N_TRAIN_ROWS, N_ROWS, dtype=np.int64)
    anchors = rng.permutation(train_idx).astype(np.int64)

    row_images = np.concatenate([tr_img[train_sel], te_img[test_sel]])          # (3000,28,28) uint8
    row_labels = np.concatenate([tr_lab[train_sel], te_lab[test_sel]]).astype(np.int64)
    row_ids = [f"train-{i:06d}" for i in train_sel] + [f"test-{i:06d}" for i in test_sel]
    assert len(set(row_ids)) == N_ROWS
    x_rows = to_input(row_images)
    y_rows_test = torch.from_numpy(row_labels[N_TRAIN_ROWS:])

    # ---- train + embed + export
    manifest_spaces = []
    heads_np = {}
    timings = {}
    for name, seed, epochs in SPACES:
        t0 = time.time()
        print(f"Training {name} (seed {seed}, {epochs} epochs) ...", flush=True)
        if name == "ae":
            enc, head, extra = train_ae_space(name, seed, epochs, x_train, y_train, x_test, y_test)
        else:
            enc, head, extra = train_classifier_space(name, seed, epochs, x_train, y_train, x_test, y_test)
        d = ARCH[name][1]
        z_rows = embed(enc, x_rows)                                  # (3000, d) float32
        assert z_rows.shape == (N_ROWS, d)
        save_npy(os.path.join(out_dir, f"{name}.npy"), z_rows.numpy(), np.float32)
        c_full, n_full = accuracy(head, embed(enc, x_test), y_test)
        c_samp, n_samp = accuracy(head, z_rows[N_TRAIN_ROWS:], y_rows_test)
        heads_np[name] = (head.weight.detach().numpy().astype(np.float64),
                          head.bias.detach().numpy().astype(np.float64))

        enc_file = f"models/{name}.encoder.onnx"
        cls_file = f"models/{name}.classifier.onnx"
        export_onnx(enc, torch.zeros(2, 1, 28, 28), os.path.join(out_dir, enc_file), "image", "embedding")
        export_onnx(head, torch.zeros(2, d), os.path.join(out_dir, cls_file), "embedding", "logits")
        models = {
            "encoder": {
                "file": enc_file,
                "input": {"name": "image", "dtype": "float32", "shape": ["batch", 1, 28, 28]},
                "output": {"name": "embedding", "dtype": "float32", "shape": ["batch", d]},
                "preprocessing": "uint8 pixels / 255 -> float32 in [0,1], shape [N,1,28,28]; no normalisation",
            },
            "classifier": {
                "file": cls_file,
                "input": {"name": "embedding", "dtype": "float32", "shape": ["batch", d]},
                "output": {"name": "logits", "dtype": "float32", "shape": ["batch", 10]},
                "classes": CLASS_NAMES,
            },
        }
        entry = {
            "name": name,
            "file": f"{name}.npy",
            "architecture": ARCH[name][0],
            "latent_dim": d,
            "seed": seed,
            "epochs": epochs,
            "optimizer": f"Adam lr={LR}, batch {BATCH_SIZE}",
            "objective": "cross-entropy (encoder + head end-to-end)" if name != "ae" else
                         f"reconstruction MSE; head: cross-entropy on frozen latents, "
                         f"{AE_HEAD_EPOCHS} epochs, seed {AE_HEAD_SEED}",
            "test_accuracy_full": round(c_full / n_full, 4),
            "test_correct_full": c_full,
            "test_accuracy_sample": round(c_samp / n_samp, 4),
            "test_correct_sample": c_samp,
        }
        if name == "ae":
            dec_file = "models/ae.decoder.onnx"
            export_onnx(extra["decoder"], torch.zeros(2, d), os.path.join(out_dir, dec_file),
                        "embedding", "reconstruction")
            models["decoder"] = {
                "file": dec_file,
                "input": {"name": "embedding", "dtype": "float32", "shape": ["batch", d]},
                "output": {"name": "reconstruction", "dtype": "float32", "shape": ["batch", 784]},
                "postprocessing": "sigmoid output in [0,1]; reshape to [N,28,28], * 255 for pixels",
            }
            entry["reconstruction_mse_test"] = round(extra["test_mse"], 6)
            entry["reconstruction_mse_train"] = round(extra["train_mse"], 6)
            entry["reconstruction_mse_definition"] = "mean over pixels and images of (x - x_hat)^2, x in [0,1]"
        entry["models"] = models
        manifest_spaces.append(entry)
        timings[name] = round(time.time() - t0, 1)
        print(f"  [{name}] test acc full {c_full / n_full:.4f}, sample {c_samp / n_samp:.4f} "
              f"({timings[name]} s)", flush=True)

    # ---- metadata files
    save_npy(os.path.join(out_dir, "labels.npy"), row_labels, np.int64)
    save_npy(os.path.join(out_dir, "train_idx.npy"), train_idx, np.int64)
    save_npy(os.path.join(out_dir, "test_idx.npy"), test_idx, np.int64)
    save_npy(os.path.join(out_dir, "anchors.npy"), anchors, np.int64)
    save_npy(os.path.join(out_dir, "images_test.npy"), row_images[N_TRAIN_ROWS:], np.uint8)
    with open(os.path.join(out_dir, "labels.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(CLASS_NAMES[l] + "\n" for l in row_labels))
    with open(os.path.join(out_dir, "ids.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(i + "\n" for i in row_ids))

    # ---- sanity check of translation
    pairs = [("mlp_a", "cnn"), ("mlp_a", "mlp_b"), ("cnn", "ae")]
    sanity = sanity_check(out_dir, heads_np, pairs, anchor_count=1000)

    # ---- manifest
    files = sorted(
        os.path.relpath(os.path.join(root, fn), out_dir).replace(os.sep, "/")
        for root, _, fns in os.walk(out_dir) for fn in fns
        if fn.endswith((".npy", ".txt", ".onnx"))
    )
    manifest = {
        "name": "fmnist",
        "description": "Embeddings of the same 3000 Fashion-MNIST images in four latent spaces "
                       "(two MLP classifiers with different seeds, a CNN classifier, an autoencoder).",
        "dataset": {
            "name": "Fashion-MNIST",
            "source": "Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist), "
                      "originally https://github.com/zalandoresearch/fashion-mnist (MIT licence)",
            "train_size": int(len(tr_img)),
            "test_size": int(len(te_img)),
            "classes": CLASS_NAMES,
        },
        "n": N_ROWS,
        "rows": {
            "train": {"rows": [0, N_TRAIN_ROWS - 1], "count": N_TRAIN_ROWS, "split": "train",
                      "selection": f"first {N_TRAIN_ROWS} of numpy default_rng({SAMPLE_SEED}).permutation(60000)"},
            "test": {"rows": [N_TRAIN_ROWS, N_ROWS - 1], "count": N_TEST_ROWS, "split": "test",
                     "selection": f"first {N_TEST_ROWS} of the same generator's next permutation(10000)"},
            "anchors": "anchors.npy = the same generator's next permutation of train_idx",
            "ids": "ids.txt: '<split>-<index into the original split, 6 digits>'",
        },
        "files": {
            "labels": "labels.npy", "label_names": "labels.txt", "ids": "ids.txt",
            "train_idx": "train_idx.npy", "test_idx": "test_idx.npy", "anchors": "anchors.npy",
            "images_test": "images_test.npy",
        },
        "spaces": manifest_spaces,
        "onnx": {"opset": OPSET, "dynamic_axis": "batch", "exporter": f"torch {torch.__version__}"},
        "sanity_check": {
            "method": "numpy float64: standard scaling of each side with anchor mean/std (ddof=1), "
                      "orthogonal Procrustes R = U V^T from the economy SVD of Xs^T Ys, translate test rows, "
                      "de-standardise with target anchor statistics",
            "results": sanity,
        },
        "generator": {
            "command": "/usr/bin/python3 scripts/make_sample.py --out samples/fmnist",
            "deps": "apt-get install python3-torch python3-numpy python3-onnx dataset-fashion-mnist",
            "versions": {"torch": torch.__version__, "numpy": np.__version__,
                         "python": sys.version.split()[0]},
            "threads": 1,
            "deterministic": True,
        },
        "sha256": {fn: sha256(os.path.join(out_dir, fn)) for fn in files},
    }
    with open(os.path.join(out_dir, "manifest.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")

    total = time.time() - t_start
    print(f"\nTimings (s): {json.dumps(timings)}; total {total:.1f} s", flush=True)
    print(f"Wrote {len(files) + 1} files to {out_dir}", flush=True)


if __name__ == "__main__":
    main()
