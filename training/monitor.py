"""Mean tissue Dice of checkpoints on every real site scan, on the model grid (PyTorch).

Monitoring and the stage-adoption rule only (model card: no scan down by more than 0.03);
the figures the card reports come from the CLI (`npx tsx scripts/dice-table.ts`).

  /usr/bin/python3 monitor.py out/stage4.pt out/stage6.pt
"""
import os, sys
import numpy as np
import torch
from export import load
from infer import dice, segment_ras
from sites import SITES, load_site_volume


def site_scans():
    return [(image, load_site_volume(image, s["label"], s["convention"])) for s in SITES.values() for image in s["images"]]


def scores(model, scans, context=1):
    out = {}
    for image, v in scans:
        d = dice(segment_ras(model, v["image"], context), v["labels"])
        out[image] = (float(np.mean(list(d.values()))), d)
    return out


if __name__ == "__main__":
    torch.set_num_threads(int(os.environ.get("THREADS", 2)))
    scans = site_scans()
    for path in sys.argv[1:]:
        model, cfg, ckpt = load(path)
        for image, (mean, d) in scores(model, scans, (cfg.in_channels - 1) // 2).items():
            print(f"{path} step {ckpt.get('step')} {image:28s} mean {mean:.4f}  " + " ".join(f"{c}:{x:.3f}" for c, x in d.items()), flush=True)
