"""Mean tissue Dice of checkpoints on every real site scan, on the model grid (PyTorch).

Monitoring and the stage-adoption rule only (model card: no scan down by more than 0.03);
the figures the card reports come from the CLI (`npx tsx scripts/dice-table.ts`).

  /usr/bin/python3 monitor.py out/stage4.pt out/stage6.pt
  /usr/bin/python3 monitor.py --detail out/base.pt   # + confusion matrix, largest-component share
"""
import argparse, os
import numpy as np
import torch
from scipy import ndimage as nd
from contract import context_of
from export import load
from infer import dice, segment_ras
from sites import SITES, load_site_volume


def site_scans(sites=None):
    return [(image, load_site_volume(image, s["label"], s["convention"]))
            for name, s in SITES.items() if sites is None or name in sites for image in s["images"]]


def scores(model, scans, context=1, detail=False):
    out = {}
    for image, v in scans:
        pred = segment_ras(model, v["image"], context)
        d = dice(pred, v["labels"])
        out[image] = (float(np.mean(list(d.values()))), d)
        if detail:
            print(image, "confusion (rows reference, columns prediction: bg, CSF, GM, WM)")
            print(np.array([[int(((v["labels"] == a) & (pred == b)).sum()) for b in range(4)] for a in range(4)]))
            parts, n = nd.label(pred > 0)
            print(f"largest connected component holds {nd.sum(pred > 0, parts, range(1, n + 1)).max() / (pred > 0).sum():.4f} of the mask")
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoints", nargs="+")
    ap.add_argument("--detail", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("THREADS", 2)))
    scans = site_scans()
    for path in args.checkpoints:
        model, cfg, ckpt = load(path)
        for image, (mean, d) in scores(model, scans, context_of(cfg.in_channels), args.detail).items():
            print(f"{path} step {ckpt.get('step')} {image:28s} mean {mean:.4f}  " + " ".join(f"{c}:{x:.3f}" for c, x in d.items()), flush=True)
