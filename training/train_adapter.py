"""Train one site's LoRA adapter on the frozen base from at most 10 labelled slices.

  /usr/bin/python3 train_adapter.py --site niivue-t1 --base out/base.pt

Training slices are the scan's own axial slices (its voxel axis closest to S), spread over the
brain so that slices at least `gap` away from every training slice remain for evaluation;
they are recorded in adapter_config.json ("training_slices") so `siteseg evaluate --holdout`
scores only the others.
"""
import argparse, json, os, time
import nibabel as nib
import numpy as np
import torch
import torch.nn.functional as F
from export import load
from data import DATA
from lora import LoraConfig, inject, save_adapter
from sites import ALL_SITES, TO_TISSUE, load_site_volume, model_slice_of, resample, through_plane_axis


def choose_slices(counts, n, gap):
    """Up to n slice indices with tissue, spaced so that held-out slices remain between them."""
    idx = np.nonzero(counts > 0.05 * counts.max())[0]
    a, b = int(idx.min()), int(idx.max())
    stride = max(2 * gap + 2, (b - a + 1) / n)
    picks = [int(round(a + stride / 2 + i * stride)) for i in range(n)]
    return [p for p in picks if p <= b]


def mulberry32(seed):
    """The product's seeded generator (src/core/adapt/data.ts seededRandom), bit for bit."""
    a = seed & 0xFFFFFFFF
    imul = lambda x, y: (x * y) & 0xFFFFFFFF

    def rand():
        nonlocal a
        a = (a + 0x6D2B79F5) & 0xFFFFFFFF
        t = imul(a ^ (a >> 15), a | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296
    return rand


def init_lora(model, slots, rand):
    """A as the product draws it (initLora in src/core/train/lora-train.ts): slot by slot, U(-1, 1)/sqrt(fan in)."""
    for slot in slots:
        module = model.get_submodule(slot["module"])
        r = next(m for m in model.modules() if hasattr(m, "lora_A")).r
        fan_in = slot["inFeatures"] * int(np.prod(slot.get("kernel", [1, 1])))
        bound = 1 / np.sqrt(fan_in)
        values = [(2 * rand() - 1) * bound for _ in range(r * fan_in)]  # drawn for frozen slots too, as initLora does
        if hasattr(module, "lora_A"):
            module.lora_A.weight.data = torch.tensor(values, dtype=torch.float32).reshape(module.lora_A.weight.shape)


def zoomed_crop(x, y, cy, cx, scale, size):
    """zoomedCrop of src/core/adapt/data.ts: a size x size crop centred on (cy, cx) of the slice shown
    scale times larger; image bilinear, labels nearest, zero / background past the edge."""
    C, H, W = x.shape
    fy = cy + (np.arange(size) - size / 2) / scale
    fx = cx + (np.arange(size) - size / 2) / scale
    FY, FX = np.meshgrid(fy, fx, indexing="ij")
    ny, nx = np.floor(FY + 0.5).astype(np.int64), np.floor(FX + 0.5).astype(np.int64)  # JS Math.round
    inside = (ny >= 0) & (ny < H) & (nx >= 0) & (nx < W)
    yc = np.zeros((size, size), np.int64)
    yc[inside] = y[ny[inside], nx[inside]]
    y0, x0 = np.floor(FY).astype(np.int64), np.floor(FX).astype(np.int64)
    wy, wx = FY - y0, FX - x0
    xp = np.pad(x.astype(np.float64), ((0, 0), (1, 2), (1, 2)))  # zeros past the edge
    at = lambda yy, xx: xp[:, np.clip(yy + 1, 0, H + 2), np.clip(xx + 1, 0, W + 2)] * ((yy >= -1) & (yy <= H) & (xx >= -1) & (xx <= W))
    xc = (1 - wy) * ((1 - wx) * at(y0, x0) + wx * at(y0, x0 + 1)) + wy * ((1 - wx) * at(y0 + 1, x0) + wx * at(y0 + 1, x0 + 1))
    return xc, yc


def sample_batch(samples, rand, batch, size, zoom=0.0, gain_jitter=0.1):
    """sampleBatch of src/core/adapt/data.ts on the same random stream: the product's batches exactly
    (per item a random slice, a crop around a random labelled pixel, a flip half the time,
    x U(1 - gain_jitter, 1 + gain_jitter); with zoom > 0 the crop is resampled by a factor drawn
    log-uniformly in [1/(1+zoom), 1+zoom], centred on that pixel)."""
    pick = lambda n: min(n - 1, int(rand() * n))
    xs, ys = [], []
    for _ in range(batch):
        x, y = samples[pick(len(samples))]
        H, W = y.shape
        fg = np.flatnonzero(y)
        centre = int(fg[pick(len(fg))]) if len(fg) else (H // 2) * W + W // 2
        cy, cx = divmod(centre, W)
        oy, ox = min(max(cy - size // 2, 0), max(H - size, 0)), min(max(cx - size // 2, 0), max(W - size, 0))
        flip = rand() < 0.5
        gain = 1 - gain_jitter + 2 * gain_jitter * rand()
        if zoom > 0:
            scale = np.exp((2 * rand() - 1) * np.log1p(zoom))
            xc, yc = zoomed_crop(x, y, cy, cx, scale, size)
            xc, yc = (xc * gain).astype(np.float32), yc
            if flip:
                xc, yc = xc[:, :, ::-1], yc[:, ::-1]
            xs.append(np.ascontiguousarray(xc))
            ys.append(np.ascontiguousarray(yc))
            continue
        crop_x, crop_y = x[:, oy:oy + size, ox:ox + size].astype(np.float64), y[oy:oy + size, ox:ox + size]
        xc = np.zeros((x.shape[0], size, size), np.float32)
        yc = np.zeros((size, size), np.int64)
        xc[:, :crop_x.shape[1], :crop_x.shape[2]] = crop_x * gain
        yc[:crop_y.shape[0], :crop_y.shape[1]] = crop_y
        if flip:
            xc, yc = xc[:, :, ::-1], yc[:, ::-1]
        xs.append(np.ascontiguousarray(xc))
        ys.append(np.ascontiguousarray(yc))
    return torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys))


def random_contrast(x, rand):
    """randomContrast of src/core/adapt/data.ts: per item a random piecewise-linear intensity curve
    (0 stays 0; values at 1/4, 1/2, 3/4, 1 from U(0, 1))."""
    out = x.numpy().astype(np.float64)
    for n in range(out.shape[0]):
        knots = np.array([0.0] + [rand() for _ in range(4)])
        t = np.clip(out[n], 0, 1) * 4
        k = np.minimum(np.floor(t), 3).astype(np.int64)
        out[n] = knots[k] + (knots[k + 1] - knots[k]) * (t - k)
    return torch.from_numpy(out.astype(np.float32))


def base_probabilities(model, x):
    """The base's own prediction (every LoRA scaled to zero), as class probabilities."""
    wrapped = [m for m in model.modules() if hasattr(m, "lora_A")]
    scales = [m.scaling for m in wrapped]
    for m in wrapped:
        m.scaling = 0.0
    with torch.no_grad():
        p = model(x).softmax(1)
    for m, s in zip(wrapped, scales):
        m.scaling = s
    return p


def soft_loss(logits, target):
    """Cross-entropy + soft Dice on class-probability targets (train.py's loss for one-hot ones;
    the train-step graph's loss)."""
    ce = -(target * logits.log_softmax(1)).sum(1).mean()
    p = logits.softmax(1)
    inter = (p * target).sum((0, 2, 3))
    denom = p.sum((0, 2, 3)) + target.sum((0, 2, 3))
    return ce + 1 - ((2 * inter + 1) / (denom + 1))[1:].mean()


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
    ap.add_argument("--weight-decay", type=float, default=0.0, help="AdamW's, pulls the adapter towards the base")
    ap.add_argument("--anchor", type=int, default=2, help="items per batch in a random contrast with the base's prediction as target")
    ap.add_argument("--zoom", type=float, default=0.0, help="crops resampled by a factor log-uniform in [1/(1+zoom), 1+zoom]")
    ap.add_argument("--gain-jitter", type=float, default=0.1, help="crop intensities x U(1 - g, 1 + g)")
    ap.add_argument("--freeze", default="", help="modules (or prefixes, e.g. down.0) left at the base, comma-separated")
    ap.add_argument("--seed", type=int, default=0, help="the product's generator (siteseg adapt --seed S draws the same adapter start and batches)")
    ap.add_argument("--manifest", default=os.path.join(os.path.dirname(__file__), "..", "public", "models", "siteseg-tissue", "manifest.json"))
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("THREADS", 2)))
    torch.manual_seed(args.seed)
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
    frozen = [f for f in args.freeze.split(",") if f]
    targets = args.targets.split(",")
    if frozen:  # name the trained modules in full (PEFT's list rule), as siteseg adapt does
        slot_names = [s["module"] for s in json.load(open(args.manifest))["adapters"]["slots"]]
        targets = [m for m in slot_names if not any(m == f or m.startswith(f + ".") for f in frozen)]
    lcfg = LoraConfig(r=args.r, lora_alpha=args.alpha, target_modules=targets)
    names = inject(model, lcfg)
    params = [p for n, p in model.named_parameters() if "lora_" in n]
    n_lora = sum(p.numel() for p in params)
    n_base = sum(p.numel() for n, p in model.named_parameters() if "lora_" not in n)
    print(f"LoRA r={args.r} on {len(names)} layers: {n_lora} parameters = {100 * n_lora / n_base:.2f}% of the base's {n_base}", flush=True)
    # the product's random stream: the same adapter start and batches as `siteseg adapt --seed`
    rand = mulberry32(args.seed)
    init_lora(model, json.load(open(args.manifest))["adapters"]["slots"], rand)
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay)
    model.eval()  # BatchNorm keeps the base's statistics; only A and B learn
    size, t0 = 128, time.time()
    for step in range(args.steps):
        x, y = sample_batch(samples, rand, 8 - args.anchor, size, args.zoom, args.gain_jitter)
        target = F.one_hot(y, cfg.num_classes).permute(0, 3, 1, 2).float()
        if args.anchor:
            xa = random_contrast(sample_batch(samples, rand, args.anchor, size, args.zoom, args.gain_jitter)[0], rand)
            x, target = torch.cat([x, xa]), torch.cat([target, base_probabilities(model, xa)])
        logits = model(x)
        loss = soft_loss(logits, target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if (step + 1) % 50 == 0:
            print(f"step {step + 1} loss {loss.item():.4f} t={time.time() - t0:.0f}s", flush=True)
    save_adapter(out, model, lcfg, args.base_id, extra={
        "site": args.site, "description": site["description"],
        "training_slices": {"axis": axis, "indices": slices, "gap": args.gap, "images": site["images"]},
        "parameters": n_lora, "base_parameters": n_base,
        "recipe": {"max_slices": args.max_slices, "steps": args.steps, "lr": args.lr, "batch": 8, "crop": size, "rng": "mulberry32", "seed": args.seed,
                   "weight_decay": args.weight_decay, "frozen": frozen, "anchor": args.anchor, "optimizer": "AdamW", "loss": "cross-entropy + soft Dice"},
    })
    print("saved", out, flush=True)


if __name__ == "__main__":
    main()
