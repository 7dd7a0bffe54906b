"""Train the base tissue model on synthetic images, one stage per config file.

  /usr/bin/python3 train.py stages/stage8.json              # -> out/stage8.pt (resumes if it exists)
  /usr/bin/python3 train.py stages/stage8.json --max-steps 20 --out /tmp/t.pt   # a short check

A stage config (stages/*.json) records everything: model, data, synthesis settings, sampling,
optimiser and schedule (by steps, not minutes), seed and the checkpoint it starts from. Every
random draw is a function of (seed, what, index): volume v is synthesised from rng([seed, 0, v]),
the batch of step s from rng([seed, 1, s]), so a stage re-runs bit for bit from its config on the
same device and thread count, and a resumed run (checkpoint with optimiser and EMA state)
continues exactly as an uninterrupted one.
"""
import argparse, copy, json, os, time
import numpy as np
import torch
import torch.nn.functional as F
from contract import context_of
from data import load_fetal_maps, load_synthseg_maps
from model import ModelConfig, UNet2D
from synth import draw_scale, scale_labels, synthesise

HERE = os.path.dirname(os.path.abspath(__file__))

# Sampling defaults, recorded in each stage config's "sampling" section.
SAMPLING_DEFAULTS = {
    "slice_axes_p": [0.0, 0.0, 1.0],  # probability of slicing along x (sagittal), y (coronal), z (axial)
    "pool": 4,  # synthesised volumes held at once
    "refresh_every": 10,  # steps between replacing one of them
    "min_tissue": 200,  # tissue voxels a slice must hold to be drawn
    "centre_jitter": 24,  # crop centre: a tissue pixel, moved by up to this
    "flip_p": 0.5,  # each in-plane axis
    "reverse_p": 0.3,  # slice order reversed (S->I stacks)
    "intensity_scale": [0.85, 1.15],
}


def rng_for(seed, what, index):
    return np.random.default_rng([seed, what, index])


def torch_gen(rng, device):
    g = torch.Generator(device=device)
    g.manual_seed(int(rng.integers(2**62)))
    return g


def plane_slab(img, axis, s, context):
    """[C, H, W] slab around slice s along `axis`, laid out as the app's pipeline does (segment.ts:
    width along the lower remaining grid axis, height along the higher one, channels by slice)."""
    v = img.movedim(axis, 0)[s - context:s + context + 1]  # [C, lower, higher]
    return v.transpose(1, 2)


# Data defaults, recorded in each stage config's "data" section.
DATA_DEFAULTS = {
    "limit": None,  # the first N SynthSeg maps only (smoke)
    # fetal_sb's 15 label maps (FeTA labels in FreeSurfer numbering, data.py) in the pool: a volume
    # comes from them with probability fetal_p. Off in every stage: fetal_sb is also the site the
    # product's leave-cases-out study and monitor.py's fetal figure score, which training on its
    # label maps would contaminate.
    "fetal": False,
    "fetal_p": 0.25,
}


class Volumes:
    """The pool of synthesised volumes at a given step: volume v = synthesise(map, rng([seed, 0, v])).
    Slot choices at refresh steps come from rng([seed, 2, step]), so the pool at any step can be
    rebuilt on resume without replaying the batches."""

    def __init__(self, maps, stage, device, fetal=()):
        self.maps, self.fetal, self.stage, self.device = maps, list(fetal), stage, device
        self.data = {**DATA_DEFAULTS, **stage.get("data", {})}
        self.sampling = {**SAMPLING_DEFAULTS, **stage.get("sampling", {})}
        self.context = context_of(stage["model"]["in_channels"])
        self.labels = {}  # map name -> label tensors on the device (moved once)

    def volume(self, v):
        seed = self.stage["seed"]
        rng = rng_for(seed, 0, v)
        # (draws only what the stage enables, so stages without fetal maps or scaling reproduce)
        fetal = bool(self.fetal) and rng.random() < self.data["fetal_p"]
        maps = self.fetal if fetal else self.maps
        name, lab, ids, tissue = maps[int(rng.integers(len(maps)))]
        if name not in self.labels:
            self.labels[name] = (torch.from_numpy(lab.astype(np.int64)).to(self.device), torch.from_numpy(tissue.astype(np.int64)).to(self.device))
        lab_t, tissue_t = self.labels[name]
        # anatomy scale: the adult maps only (the fetal ones are fetal-sized already)
        scale = None if fetal else draw_scale(rng, self.stage.get("synthesis"))
        img = synthesise(lab_t, ids, rng, torch_gen(rng, self.device), self.stage.get("synthesis"), scale=scale)
        if scale is not None:
            tissue_t = scale_labels(tissue_t, scale)
        # slices with enough tissue, per axis, away from the edges (their context exists)
        c = self.context
        zs = []
        for axis in range(3):
            counts = (tissue_t > 0).sum(tuple(a for a in range(3) if a != axis)).cpu().numpy()
            ok = np.nonzero(counts > self.sampling["min_tissue"])[0]
            zs.append(ok[(ok >= c) & (ok < tissue_t.shape[axis] - c)])
        return img, tissue_t, zs

    def pool_at(self, step):
        """(volume indices in the pool at `step`, next volume index)."""
        p, every = self.sampling["pool"], self.sampling["refresh_every"]
        slots = list(range(p))
        for s in range(every, step + 1, every):
            slots[int(rng_for(self.stage["seed"], 2, s).integers(p))] = p + s // every - 1
        return slots

    def batch(self, pool, step, batch, size):
        sp = self.sampling
        rng = rng_for(self.stage["seed"], 1, step)
        xs, ys = [], []
        for _ in range(batch):
            img, tissue, zs = pool[int(rng.integers(len(pool)))]
            axis = int(rng.choice(3, p=sp["slice_axes_p"]))
            s = int(rng.choice(zs[axis]))
            slab = plane_slab(img, axis, s, self.context)
            target = tissue.movedim(axis, 0)[s].T  # [H, W] as the slab
            H, W = target.shape
            nz = torch.nonzero(target).cpu().numpy()
            cy, cx = nz[int(rng.integers(len(nz)))] if len(nz) else (H // 2, W // 2)
            j = sp["centre_jitter"]
            oy = int(np.clip(cy - size // 2 + rng.integers(-j, j + 1), 0, max(H - size, 0)))
            ox = int(np.clip(cx - size // 2 + rng.integers(-j, j + 1), 0, max(W - size, 0)))
            x, t = slab[:, oy:oy + size, ox:ox + size], target[oy:oy + size, ox:ox + size]
            # a plane smaller than the crop (a short axis) is padded: background
            ph, pw = size - x.shape[1], size - x.shape[2]
            if ph or pw:
                x, t = F.pad(x, (0, pw, 0, ph)), F.pad(t, (0, pw, 0, ph))
            if rng.random() < sp["flip_p"]:
                x, t = x.flip(2), t.flip(1)
            if rng.random() < sp["flip_p"]:
                x, t = x.flip(1), t.flip(0)
            if rng.random() < sp["reverse_p"]:
                x = x.flip(0)
            xs.append(x * float(rng.uniform(*sp["intensity_scale"])))
            ys.append(t)
        return torch.stack(xs).float(), torch.stack(ys).long()


def soft_dice_loss(logits, target, n):
    p = logits.softmax(1)
    oh = F.one_hot(target, n).permute(0, 3, 1, 2).float()
    inter = (p * oh).sum((0, 2, 3))
    denom = p.sum((0, 2, 3)) + oh.sum((0, 2, 3))
    return 1 - ((2 * inter + 1) / (denom + 1))[1:].mean()


def lr_at(step, optim):
    """Linear warm-up, then cosine decay to zero at optim["steps"]: a schedule by steps."""
    warm, total = optim.get("warmup", 0), optim["steps"]
    if step < warm:
        return optim["lr"] * (step + 1) / warm
    return optim["lr"] * 0.5 * (1 + np.cos(np.pi * min(1.0, (step - warm) / max(1, total - warm))))


@torch.no_grad()
def update_ema(averaged, model, decay):
    """Weights and BatchNorm statistics alike: the average is a model that can be saved as is."""
    for a, m in zip(averaged.state_dict().values(), model.state_dict().values()):
        if a.dtype.is_floating_point:
            a.mul_(decay).add_(m, alpha=1 - decay)
        else:
            a.copy_(m)


def init_weights(model, init):
    """A stage starts from a checkpoint (.pt, its shipped weights) or a shipped model.onnx."""
    path = os.path.join(HERE, init)
    if init.endswith(".onnx"):
        from from_onnx import model_from_onnx
        state = model_from_onnx(path).state_dict()
    else:
        state = torch.load(path, map_location="cpu")["state_dict"]
    model.load_state_dict(state)


def save(path, stage, model, averaged, opt, step, cfg):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = path + ".tmp"
    torch.save({"config": cfg.to_dict(), "state_dict": averaged.state_dict(), "step": step, "stage": stage,
                "model": model.state_dict(), "optimizer": opt.state_dict()}, tmp)
    os.replace(tmp, path)  # a run killed while saving keeps the last whole checkpoint


def resume(path, stage, model, averaged, opt, device):
    """The step a checkpoint written by `save` for this same config reached, its weights, EMA and
    optimiser state loaded; 0 when there is none yet."""
    if not os.path.exists(path):
        return 0
    ckpt = torch.load(path, map_location=device, weights_only=False)  # optimiser state and config too (torch >= 2.6 defaults to True)
    if ckpt.get("stage") != stage:
        raise SystemExit(f"{path} was written by another config; pass --out to start afresh")
    model.load_state_dict(ckpt["model"])
    averaged.load_state_dict(ckpt["state_dict"])
    opt.load_state_dict(ckpt["optimizer"])
    print(f"resuming {path} at step {ckpt['step']}", flush=True)
    return ckpt["step"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("config", help="stage config (stages/*.json)")
    ap.add_argument("--out", help="checkpoint (default: out/<stage name>.pt); resumed from when it exists")
    ap.add_argument("--max-steps", type=int, help="stop after this step (a short check); the schedule stays the config's")
    ap.add_argument("--device", help="override the config's device (cpu, cuda)")
    ap.add_argument("--threads", type=int, help="override the config's CPU threads")
    ap.add_argument("--data", help="label maps folder (default: $SITESEG_DATA or ../shared/data)")
    ap.add_argument("--stop-after", type=float, help="minutes: save and stop at the next checkpoint after this (resume later)")
    ap.add_argument("--monitor", action="store_true", help="Dice on the niivue_fs T1 at each checkpoint (needs ../shared/data)")
    args = ap.parse_args()
    stage = json.load(open(args.config))
    device = torch.device(args.device or stage.get("device", "cpu"))
    torch.set_num_threads(args.threads or stage.get("threads", 2))
    out = args.out or os.path.join(HERE, "out", stage["name"] + ".pt")
    optim = stage["optim"]
    cfg = ModelConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in stage["model"].items()})

    torch.manual_seed(stage["seed"])
    model = UNet2D(cfg)
    if stage.get("init"):
        init_weights(model, stage["init"])
    model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=optim["lr"], weight_decay=optim.get("weight_decay", 1e-4))
    averaged = copy.deepcopy(model) if optim.get("ema") else model
    step = resume(out, stage, model, averaged, opt, device)

    data = {**DATA_DEFAULTS, **stage.get("data", {})}
    maps = load_synthseg_maps(data["limit"], args.data)
    fetal = load_fetal_maps(args.data) if data["fetal"] else []
    vols = Volumes(maps, stage, device, fetal)
    print(f"{stage['name']}: {len(maps)} label maps" + (f" + {len(fetal)} fetal (p {data['fetal_p']})" if fetal else "")
          + f", {sum(p.numel() for p in model.parameters())} parameters, {device}", flush=True)
    slots = vols.pool_at(step)
    pool = [vols.volume(v) for v in slots]
    every = vols.sampling["refresh_every"]
    bf16 = stage.get("bf16", False) and device.type == "cuda"
    monitor = None
    if args.monitor:
        from monitor import scores, site_scans
        t1 = site_scans(["niivue-t1"])
        monitor = lambda: scores(averaged.cpu(), t1, vols.context)["niivue_fs/norm.mgz"]
    end = min(optim["steps"], args.max_steps or optim["steps"])
    t0 = time.time()
    while step < end:
        if step % every == 0 and step:
            i = int(rng_for(stage["seed"], 2, step).integers(len(pool)))
            pool[i] = vols.volume(vols.sampling["pool"] + step // every - 1)
        for g in opt.param_groups:
            g["lr"] = float(lr_at(step, optim))  # a Python float: a checkpoint pickles no numpy type (numpy 2 vs 1.x)
        model.train()
        x, y = vols.batch(pool, step, stage["batch"], stage["crop"])
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            logits = model(x)
        logits = logits.float()
        loss = F.cross_entropy(logits, y) + soft_dice_loss(logits, y, cfg.num_classes)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if optim.get("ema"):
            update_ema(averaged, model, optim["ema"])
        step += 1
        if step % 50 == 0 or step == end:
            print(f"step {step} t={time.time() - t0:.0f}s loss={loss.item():.4f} lr={opt.param_groups[0]['lr']:.2e}", flush=True)
        late = args.stop_after is not None and time.time() - t0 > args.stop_after * 60
        if step % stage.get("checkpoint_every", 500) == 0 or step == end or late:
            save(out, stage, model, averaged, opt, step, cfg)
            if late:
                print(f"stopped after {args.stop_after} min at step {step} of {optim['steps']}: run again to resume", flush=True)
                break
            if monitor and step % 1000 == 0:
                print("niivue_fs T1 dice (monitor)", monitor(), flush=True)
                averaged.to(device)


if __name__ == "__main__":
    main()
