"""Train the second task's model: brain tumour (oedema, tumour core) on single MRI scans.

  nice /usr/bin/python3 train_tumour.py stages/tumour.json      # -> out/tumour.pt (resumes if it exists)
  /usr/bin/python3 train_tumour.py stages/tumour-smoke.json --out /tmp/t.pt   # 4 steps: checks the loop
  /usr/bin/python3 check_resume.py stages/tumour-smoke.json 4 train_tumour.py   # resumed = run on, bit for bit
  /usr/bin/python3 export.py out/tumour.pt ../models/siteseg-tumour --id siteseg-tumour --task tumour

Real data, not synthesis: the BraTS 2013 cases of ../shared/data/brats_deepmedic (or $SITESEG_DATA),
FLAIR and T1c each as its own training image (the model takes one scan, either contrast), read onto
the model grid and normalised exactly as the app does (sites.py). The held-out cases are scored
(Dice) at each checkpoint. Labels through src/core/metrics/brats-tumour.json, keyed by class name
(labels.py).

A config (stages/tumour*.json) records everything, as train.py's stages do: model, cases, sampling,
optimiser and schedule by steps, EMA, seed. The batch of step s is drawn from rng([seed, 1, s]), and
checkpoints hold the config, weights, EMA and optimiser state, so a resumed run continues exactly as
an uninterrupted one.
"""
import argparse, copy, json, os, time
import numpy as np
import torch
import torch.nn.functional as F
from data import DATA
from infer import dice, segment_ras
from labels import convention_table
from model import ModelConfig, UNet2D
from sites import model_input, resample
from train import HERE, lr_at, resume, rng_for, save, soft_dice_loss, update_ema
import nibabel as nib

# Sampling defaults, recorded in each config's "sampling" section.
SAMPLING_DEFAULTS = {
    "tumour_p": 0.6,  # crop centred on a tumour voxel (else on any voxel of the head)
    "centre_jitter": 32,  # crop centre moved by up to this
    "flip_p": 0.5,  # each in-plane axis
    "reverse_p": 0.3,  # slice order reversed
    "gamma": [0.7, 1.5],  # other scanners: gamma, contrast scale and noise on the 0..1 input
    "intensity_scale": [0.85, 1.15],
    "noise": 0.03,  # noise sd drawn up to this
}


def load_case(case, contrast, table, classes):
    """(image, labels) on the model grid (RAS, 1 mm), as the app reads them."""
    img = nib.load(os.path.join(DATA, case, contrast))
    ref = nib.load(os.path.join(DATA, case, "OTMultiClass.nii.gz"))
    data = np.asanyarray(img.dataobj).astype(np.float32)
    m = model_input(data, img.affine)
    dims, grid, image = m["dims"], m["grid"], m["image"]
    to_classes = convention_table(table, classes)
    labels = resample(to_classes(np.asanyarray(ref.dataobj)).astype(np.float32), ref.affine, dims, grid, order=0).astype(np.int64)
    return image, labels


def sample_batch(pool, rng, batch, size, context, sp):
    xs, ys = [], []
    for _ in range(batch):
        img, lab = pool[rng.integers(len(pool))]
        tumour = rng.random() < sp["tumour_p"]
        where = np.argwhere(lab > 0) if tumour else np.argwhere(img > 0.02)
        cx, cy, z = where[rng.integers(len(where))]
        z = int(np.clip(z, context, img.shape[2] - context - 1))
        slab = img[:, :, z - context:z + context + 1].transpose(2, 1, 0)  # [C, y, x]
        target = lab[:, :, z].T
        j = sp["centre_jitter"]
        oy = int(np.clip(cy - size // 2 + rng.integers(-j, j + 1), 0, target.shape[0] - size))
        ox = int(np.clip(cx - size // 2 + rng.integers(-j, j + 1), 0, target.shape[1] - size))
        s, t = slab[:, oy:oy + size, ox:ox + size], target[oy:oy + size, ox:ox + size]
        if rng.random() < sp["flip_p"]:
            s, t = s[:, :, ::-1], t[:, ::-1]
        if rng.random() < sp["flip_p"]:
            s, t = s[:, ::-1], t[::-1]
        if rng.random() < sp["reverse_p"]:
            s = s[::-1]
        # the app's percentile scaling makes 0..1
        s = np.clip(s, 0, 1) ** rng.uniform(*sp["gamma"]) * rng.uniform(*sp["intensity_scale"])
        s = s + rng.normal(0, rng.uniform(0, sp["noise"]), s.shape)
        xs.append(np.ascontiguousarray(s))
        ys.append(np.ascontiguousarray(t))
    return torch.from_numpy(np.stack(xs).astype(np.float32)), torch.from_numpy(np.stack(ys).astype(np.int64))


def held_out_dice(model, held, classes, context):
    """Dice per foreground class of each held-out image, whole volume, as the app segments it."""
    fg = range(1, len(classes))
    return {name: {classes[k]: round(v, 3) for k, v in dice(segment_ras(model, image, context), labels, fg).items()} for name, (image, labels) in held}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("config", help="config (stages/tumour*.json)")
    ap.add_argument("--out", help="checkpoint (default: out/<config name>.pt); resumed from when it exists")
    ap.add_argument("--max-steps", type=int, help="stop after this step (a short check); the schedule stays the config's")
    ap.add_argument("--device", help="override the config's device (cpu, cuda)")
    ap.add_argument("--threads", type=int, help="override the config's CPU threads")
    args = ap.parse_args()
    stage = json.load(open(args.config))
    device = torch.device(args.device or stage.get("device", "cpu"))
    torch.set_num_threads(args.threads or stage.get("threads", 1))
    out = args.out or os.path.join(HERE, "out", stage["name"] + ".pt")
    optim, data = stage["optim"], stage["data"]
    sampling = {**SAMPLING_DEFAULTS, **stage.get("sampling", {})}
    cfg = ModelConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in stage["model"].items()})
    classes = convention_table(data["table"]).classes
    if cfg.num_classes != len(classes):
        raise SystemExit(f"{args.config}: model.num_classes is {cfg.num_classes}, {data['table']} has {len(classes)} classes")
    context = (cfg.in_channels - 1) // 2

    torch.manual_seed(stage["seed"])
    model = UNet2D(cfg).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=optim["lr"], weight_decay=optim.get("weight_decay", 1e-4))
    averaged = copy.deepcopy(model) if optim.get("ema") else model
    step = resume(out, stage, model, averaged, opt, device)

    pool = [load_case(c, m, data["table"], classes) for c in data["cases"] for m in data["contrasts"]]
    held = [(f"{c.split('/')[-1]} {m.split('_')[0]}", load_case(c, m, data["table"], classes)) for c in data["held_out"] for m in data["contrasts"]]
    print(f"{stage['name']}: {len(pool)} training images, classes {classes}, {sum(p.numel() for p in model.parameters())} parameters, {device}", flush=True)
    end = min(optim["steps"], args.max_steps or optim["steps"])
    t0 = time.time()
    while step < end:
        for g in opt.param_groups:
            g["lr"] = float(lr_at(step, optim))
        model.train()
        x, y = sample_batch(pool, rng_for(stage["seed"], 1, step), stage["batch"], stage["crop"], context, sampling)
        logits = model(x.to(device))
        loss = F.cross_entropy(logits, y.to(device)) + soft_dice_loss(logits, y.to(device), cfg.num_classes)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if optim.get("ema"):
            update_ema(averaged, model, optim["ema"])
        step += 1
        if step % 50 == 0 or step == end:
            print(f"step {step} t={time.time() - t0:.0f}s loss={loss.item():.4f} lr={opt.param_groups[0]['lr']:.2e}", flush=True)
        if step % stage.get("checkpoint_every", 500) == 0 or step == end:
            save(out, stage, model, averaged, opt, step, cfg)
            print(f"step {step} held-out dice", held_out_dice(copy.deepcopy(averaged).cpu(), held, classes, context), flush=True)


if __name__ == "__main__":
    main()
