"""Train one site's LoRA adapter on the frozen base from at most 10 labelled slices.

  /usr/bin/python3 train_adapter.py --site niivue-t1 --base out/base.pt

Training slices are the scan's own axial slices (its voxel axis closest to S), spread over the
brain so that slices at least `gap` away from every training slice remain for evaluation;
they are recorded in adapter_config.json ("training_slices") so `siteseg evaluate --holdout`
scores only the others.
"""
import argparse, os, time
import nibabel as nib
import numpy as np
import torch
import torch.nn.functional as F
from export import load
from data import DATA
from lora import LoraConfig, inject, save_adapter
from sites import ALL_SITES, TO_TISSUE, load_site_volume, model_slice_of, resample, through_plane_axis
from train import soft_dice_loss


def choose_slices(counts, n, gap):
    """Up to n slice indices with tissue, spaced so that held-out slices remain between them."""
    idx = np.nonzero(counts > 0.05 * counts.max())[0]
    a, b = int(idx.min()), int(idx.max())
    stride = max(2 * gap + 2, (b - a + 1) / n)
    picks = [int(round(a + stride / 2 + i * stride)) for i in range(n)]
    return [p for p in picks if p <= b]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--site", required=True, choices=sorted(ALL_SITES))
    ap.add_argument("--base", default=os.path.join(os.path.dirname(__file__), "out", "base.pt"))
    ap.add_argument("--base-id", default="siteseg-tissue")
    ap.add_argument("--max-slices", type=int, default=10, help="labelled slices, all images of the site together")
    ap.add_argument("--gap", type=int, default=5)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--r", type=int, default=2)
    ap.add_argument("--alpha", type=int, default=4)
    ap.add_argument("--targets", default="conv1,conv2")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("THREADS", 2)))
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    site = ALL_SITES[args.site]
    root = site.get("root", DATA)
    out = args.out or os.path.join(os.path.dirname(__file__), "..", "public", "models", args.base_id, "adapters", args.site)

    vols = [load_site_volume(im, site["label"], site["convention"], root) for im in site["images"]]
    v0 = vols[0]
    axis = through_plane_axis(v0["scan_affine"])
    # tissue per scan slice: the reference on the scan's own grid, as the evaluation sees it
    ref = nib.load(os.path.join(root, site["label"]))
    tissue = TO_TISSUE[site["convention"]](np.asanyarray(ref.dataobj).astype(np.int64)).astype(np.float32)
    on_scan = resample(tissue, ref.affine, v0["scan_shape"], v0["scan_affine"], order=0)
    counts = (on_scan > 0).sum(axis=tuple(a for a in range(3) if a != axis))
    slices = choose_slices(counts, args.max_slices // len(vols), args.gap)
    ks = [model_slice_of(v0["scan_affine"], axis, s, v0["scan_shape"], v0["grid"]) for s in slices]
    print(f"{args.site}: scan axis {axis}, training slices {slices} -> model slices {ks}", flush=True)

    samples = []
    for v in vols:
        img, lab = v["image"], v["labels"]
        pad = np.pad(img, ((0, 0), (0, 0), (1, 1)))
        for k in ks:
            samples.append((pad[:, :, k:k + 3].transpose(2, 1, 0), lab[:, :, k].T))

    model, cfg, _ = load(args.base)
    lcfg = LoraConfig(r=args.r, lora_alpha=args.alpha, target_modules=args.targets.split(","))
    names = inject(model, lcfg)
    params = [p for n, p in model.named_parameters() if "lora_" in n]
    n_lora = sum(p.numel() for p in params)
    n_base = sum(p.numel() for n, p in model.named_parameters() if "lora_" not in n)
    print(f"LoRA r={args.r} on {len(names)} layers: {n_lora} parameters = {100 * n_lora / n_base:.2f}% of the base's {n_base}", flush=True)
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)
    model.eval()  # BatchNorm keeps the base's statistics; only A and B learn
    size, t0 = 128, time.time()
    for step in range(args.steps):
        xs, ys = [], []
        for _ in range(8):
            x, y = samples[rng.integers(len(samples))]
            H, W = y.shape
            ys_, xs_ = np.nonzero(y)
            cy, cx = (ys_[rng.integers(len(ys_))], xs_[rng.integers(len(xs_))]) if len(ys_) else (H // 2, W // 2)
            oy = int(np.clip(cy - size // 2, 0, max(H - size, 0)))
            ox = int(np.clip(cx - size // 2, 0, max(W - size, 0)))
            xc = np.zeros((3, size, size), np.float32)
            yc = np.zeros((size, size), np.int64)
            crop_x, crop_y = x[:, oy:oy + size, ox:ox + size], y[oy:oy + size, ox:ox + size]
            xc[:, :crop_x.shape[1], :crop_x.shape[2]] = crop_x
            yc[:crop_y.shape[0], :crop_y.shape[1]] = crop_y
            if rng.random() < 0.5:
                xc, yc = xc[:, :, ::-1], yc[:, ::-1]
            xs.append(np.ascontiguousarray(xc) * rng.uniform(0.9, 1.1))
            ys.append(np.ascontiguousarray(yc))
        x, y = torch.from_numpy(np.stack(xs).astype(np.float32)), torch.from_numpy(np.stack(ys))
        logits = model(x)
        loss = F.cross_entropy(logits, y) + soft_dice_loss(logits, y, cfg.num_classes)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if (step + 1) % 50 == 0:
            print(f"step {step + 1} loss {loss.item():.4f} t={time.time() - t0:.0f}s", flush=True)
    save_adapter(out, model, lcfg, args.base_id, extra={
        "site": args.site, "description": site["description"],
        "training_slices": {"axis": axis, "indices": slices, "gap": args.gap, "images": site["images"]},
        "parameters": n_lora, "base_parameters": n_base,
    })
    print("saved", out, flush=True)


if __name__ == "__main__":
    main()
