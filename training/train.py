"""Train the base tissue model on synthetic images.  /usr/bin/python3 train.py --minutes 40"""
import argparse, copy, os, time
import numpy as np
import torch
import torch.nn.functional as F
from data import load_synthseg_maps
from model import ModelConfig, UNet2D
from monitor import site_scans, scores
from synth import synthesise


def sample_batch(pool, rng, batch, size, context):
    xs, ys = [], []
    for _ in range(batch):
        img, tissue, zs = pool[rng.integers(len(pool))]
        z = int(rng.choice(zs))
        slab = img[:, :, z - context:z + context + 1].transpose(2, 1, 0)  # [C, y, x]
        target = tissue[:, :, z].T
        ys_, xs_ = np.nonzero(target)
        cy, cx = (ys_[rng.integers(len(ys_))], xs_[rng.integers(len(xs_))]) if len(ys_) else (128, 128)
        oy = int(np.clip(cy - size // 2 + rng.integers(-24, 25), 0, target.shape[0] - size))
        ox = int(np.clip(cx - size // 2 + rng.integers(-24, 25), 0, target.shape[1] - size))
        s, t = slab[:, oy:oy + size, ox:ox + size], target[oy:oy + size, ox:ox + size]
        if rng.random() < 0.5:
            s, t = s[:, :, ::-1], t[:, ::-1]
        if rng.random() < 0.5:
            s, t = s[:, ::-1], t[::-1]
        if rng.random() < 0.3:
            s = s[::-1]  # slice order reversed (S->I stacks)
        xs.append(np.ascontiguousarray(s) * rng.uniform(0.85, 1.15))
        ys.append(np.ascontiguousarray(t))
    return torch.from_numpy(np.stack(xs).astype(np.float32)), torch.from_numpy(np.stack(ys).astype(np.int64))


def soft_dice_loss(logits, target, n):
    p = logits.softmax(1)
    oh = F.one_hot(target, n).permute(0, 3, 1, 2).float()
    inter = (p * oh).sum((0, 2, 3))
    denom = p.sum((0, 2, 3)) + oh.sum((0, 2, 3))
    return 1 - ((2 * inter + 1) / (denom + 1))[1:].mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=40)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "out", "base.pt"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--init", help="checkpoint to continue from")
    ap.add_argument("--ema", type=float, default=0.0,
                    help="keep an exponential moving average of the weights (e.g. 0.999) and save that: "
                         "it smooths the step-to-step noise of small synthetic batches")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    cfg = ModelConfig()
    context = (cfg.in_channels - 1) // 2
    model = UNet2D(cfg)
    start_step = 0
    if args.init:
        ckpt = torch.load(args.init, map_location="cpu")
        model.load_state_dict(ckpt["state_dict"])
        start_step = ckpt["step"]
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    averaged = copy.deepcopy(model) if args.ema else model
    maps = load_synthseg_maps()
    print(f"{len(maps)} label maps, {sum(p.numel() for p in model.parameters())} parameters", flush=True)

    def fresh():
        name, lab, ids, tissue = maps[rng.integers(len(maps))]
        img = synthesise(lab, ids, rng)
        zs = np.nonzero((tissue > 0).sum((0, 1)) > 200)[0]
        zs = zs[(zs >= context) & (zs < lab.shape[2] - context)]
        return img, tissue, zs

    pool = [fresh() for _ in range(4)]
    # Monitoring only (never used for model selection): Dice on the niivue_fs T1, read once.
    t1 = site_scans(["niivue-t1"])
    monitor = lambda: scores(averaged, t1, context)["niivue_fs/norm.mgz"]
    budget = args.minutes * 60
    t0 = time.time()
    step = start_step
    while time.time() - t0 < budget:
        frac = (time.time() - t0) / budget
        for g in opt.param_groups:
            g["lr"] = args.lr * 0.5 * (1 + np.cos(np.pi * frac))
        if step % 10 == 0 and step:
            pool[rng.integers(len(pool))] = fresh()
        model.train()
        x, y = sample_batch(pool, rng, args.batch, args.size, context)
        logits = model(x)
        loss = F.cross_entropy(logits, y) + soft_dice_loss(logits, y, cfg.num_classes)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if args.ema:
            update_ema(averaged, model, args.ema)
        step += 1
        if step % 50 == 0:
            print(f"step {step} t={time.time() - t0:.0f}s loss={loss.item():.4f} lr={opt.param_groups[0]['lr']:.2e}", flush=True)
        if step % 1000 == 0:
            print("niivue_fs T1 dice (monitor)", monitor(), flush=True)
            save(averaged, cfg, args, step)
    save(averaged, cfg, args, step)
    print("final niivue_fs T1 dice (monitor)", monitor(), flush=True)


@torch.no_grad()
def update_ema(averaged, model, decay):
    """Weights and BatchNorm statistics alike: the average is a model that can be saved as is."""
    for a, m in zip(averaged.state_dict().values(), model.state_dict().values()):
        if a.dtype.is_floating_point:
            a.mul_(decay).add_(m, alpha=1 - decay)
        else:
            a.copy_(m)


def save(model, cfg, args, step):
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    torch.save({"config": cfg.to_dict(), "state_dict": model.state_dict(), "step": step,
                "train_args": vars(args)}, args.out)


if __name__ == "__main__":
    main()
