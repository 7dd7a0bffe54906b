"""Train the second task's model: brain tumour (oedema, tumour core) on single MRI scans.

  nice /usr/bin/python3 train_tumour.py --minutes 40 --threads 1    # -> out/tumour.pt
  /usr/bin/python3 export.py out/tumour.pt ../models/siteseg-tumour --task tumour --version 0.1.0

Real data, not synthesis: the BraTS 2013 cases of ../shared/data/brats_deepmedic, FLAIR and T1c
each as its own training image (the model takes one scan, either contrast), read onto the model
grid and normalised exactly as the app does (sites.py). Case pat0005 is held out (monitoring).
Labels through src/core/metrics/brats-tumour.json, keyed by class name (labels.py).
"""
import argparse, copy, os, time
import numpy as np
import torch
import torch.nn.functional as F
from data import DATA
from infer import dice, segment_ras
from labels import convention_table
from model import ModelConfig, UNet2D
from sites import model_input, resample
from train import soft_dice_loss, update_ema
import nibabel as nib

CASES = [f"brats_deepmedic/brats_2013_pat000{i}_1" for i in range(1, 6)]
HELD_OUT = CASES[-1:]
CONTRASTS = ["Flair_subtrMeanDivStd.nii.gz", "T1c_subtrMeanDivStd.nii.gz"]
TABLE = "brats-tumour.json"


def load_case(case, contrast, classes):
    """(image, labels) on the model grid (RAS, 1 mm), as the app reads them."""
    img = nib.load(os.path.join(DATA, case, contrast))
    ref = nib.load(os.path.join(DATA, case, "OTMultiClass.nii.gz"))
    data = np.asanyarray(img.dataobj).astype(np.float32)
    m = model_input(data, img.affine)
    dims, grid, image = m["dims"], m["grid"], m["image"]
    to_classes = convention_table(TABLE, classes)
    labels = resample(to_classes(np.asanyarray(ref.dataobj)).astype(np.float32), ref.affine, dims, grid, order=0).astype(np.int64)
    return image, labels


def sample_batch(pool, rng, batch, size, context):
    xs, ys = [], []
    for _ in range(batch):
        img, lab = pool[rng.integers(len(pool))]
        tumour = rng.random() < 0.6
        where = np.argwhere(lab > 0) if tumour else np.argwhere(img > 0.02)
        cx, cy, z = where[rng.integers(len(where))]
        z = int(np.clip(z, context, img.shape[2] - context - 1))
        slab = img[:, :, z - context:z + context + 1].transpose(2, 1, 0)  # [C, y, x]
        target = lab[:, :, z].T
        oy = int(np.clip(cy - size // 2 + rng.integers(-32, 33), 0, target.shape[0] - size))
        ox = int(np.clip(cx - size // 2 + rng.integers(-32, 33), 0, target.shape[1] - size))
        s, t = slab[:, oy:oy + size, ox:ox + size], target[oy:oy + size, ox:ox + size]
        if rng.random() < 0.5:
            s, t = s[:, :, ::-1], t[:, ::-1]
        if rng.random() < 0.5:
            s, t = s[:, ::-1], t[::-1]
        if rng.random() < 0.3:
            s = s[::-1]
        # other scanners: gamma, contrast scale, noise (the app's percentile scaling makes 0..1)
        s = np.clip(s, 0, 1) ** rng.uniform(0.7, 1.5) * rng.uniform(0.85, 1.15)
        s = s + rng.normal(0, rng.uniform(0, 0.03), s.shape)
        xs.append(np.ascontiguousarray(s))
        ys.append(np.ascontiguousarray(t))
    return torch.from_numpy(np.stack(xs).astype(np.float32)), torch.from_numpy(np.stack(ys).astype(np.int64))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=40)
    ap.add_argument("--batch", type=int, default=12)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "out", "tumour.pt"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--ema", type=float, default=0.995)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    classes = convention_table(TABLE).classes
    cfg = ModelConfig(num_classes=len(classes))
    context = (cfg.in_channels - 1) // 2
    model = UNet2D(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    averaged = copy.deepcopy(model)
    pool = [load_case(c, m, classes) for c in CASES if c not in HELD_OUT for m in CONTRASTS]
    held = [(f"{c.split('/')[-1]} {m.split('_')[0]}", load_case(c, m, classes)) for c in HELD_OUT for m in CONTRASTS]
    fg = range(1, len(classes))
    monitor = lambda: {n: {classes[k]: round(v, 3) for k, v in dice(segment_ras(averaged, im, context), lab, fg).items()} for n, (im, lab) in held}
    print(f"{len(pool)} training images, classes {classes}, {sum(p.numel() for p in model.parameters())} parameters", flush=True)
    budget, t0, step = args.minutes * 60, time.time(), 0
    while time.time() - t0 < budget:
        frac = (time.time() - t0) / budget
        for g in opt.param_groups:
            g["lr"] = args.lr * 0.5 * (1 + np.cos(np.pi * frac))
        model.train()
        x, y = sample_batch(pool, rng, args.batch, args.size, context)
        logits = model(x)
        loss = F.cross_entropy(logits, y) + soft_dice_loss(logits, y, cfg.num_classes)
        opt.zero_grad()
        loss.backward()
        opt.step()
        update_ema(averaged, model, args.ema)
        step += 1
        if step % 50 == 0:
            print(f"step {step} t={time.time() - t0:.0f}s loss={loss.item():.4f}", flush=True)
        if step % 500 == 0:
            print("held-out", monitor(), flush=True)
            save(averaged, cfg, args, step)
    save(averaged, cfg, args, step)


def save(model, cfg, args, step):
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    torch.save({"config": cfg.to_dict(), "state_dict": model.state_dict(), "step": step, "train_args": vars(args)}, args.out)
    print("final held-out", monitor(), flush=True)


if __name__ == "__main__":
    main()
