"""Mean tissue Dice of checkpoints on every real site scan, on the model grid (PyTorch).

Monitoring and the stage-adoption rule only (gpu/README.md: no real scan worse by more than 0.01,
their mean better, the fetal mean not worse); the figures the card reports come from the CLI
(`npx tsx scripts/dice-table.ts`). A checkpoint is a .pt or a shipped model.onnx (from_onnx.py).

  /usr/bin/python3 monitor.py out/stage4.pt out/stage6.pt
  /usr/bin/python3 monitor.py ../public/models/siteseg-tissue/model.onnx out/gpu2.pt   # the base against a candidate
  /usr/bin/python3 monitor.py --detail out/base.pt   # + confusion matrix, largest-component share
  /usr/bin/python3 monitor.py --fetal-only out/gpu2.pt   # the fetal site alone

Two groups, each with its mean: the real scans of sites.SITES (T1, thick-slice T2, SPM templates)
and the fetal site (sites.FETAL_SCANS: three fetal_sb volumes, FeTA labels, the cerebellum excluded
from mask and reference alike). Every scan is read onto the model grid as the app reads it
(1 mm RAS, the contract's percentile scaling; sites.load_site_volume) and segmented 2.5D, axial
slices with the model's context (infer.segment_ras).
"""
import argparse, os
import numpy as np
import torch
from scipy import ndimage as nd
from contract import context_of
from export import load
from infer import dice, segment_ras
from sites import FETAL_SCANS, SITES, load_site_volume


def site_scans(sites=None):
    return [(image, load_site_volume(image, s["label"], s["convention"]))
            for name, s in SITES.items() if sites is None or name in sites for image in s["images"]]


def fetal_scans():
    return [(image, load_site_volume(image, label, "feta")) for image, label in FETAL_SCANS]


def load_any(path):
    """(model, config, checkpoint dict) from a .pt checkpoint or a shipped model.onnx."""
    if path.endswith(".onnx"):
        from from_onnx import model_from_onnx
        model = model_from_onnx(path)
        return model, model.cfg, {"step": "onnx"}
    return load(path)


def scores(model, scans, context=1, detail=False):
    out = {}
    for image, v in scans:
        pred = segment_ras(model, v["image"], context)
        d = dice(pred, v["labels"])
        out[image] = (float(np.mean(list(d.values()))), d)
        if detail:
            print(image, "confusion (rows reference, columns prediction: bg, CSF, GM, WM; excluded voxels left out)")
            print(np.array([[int(((v["labels"] == a) & (pred == b)).sum()) for b in range(4)] for a in range(4)]))
            parts, n = nd.label(pred > 0)
            print(f"largest connected component holds {nd.sum(pred > 0, parts, range(1, n + 1)).max() / (pred > 0).sum():.4f} of the mask")
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoints", nargs="+")
    ap.add_argument("--detail", action="store_true")
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--no-fetal", action="store_true", help="the real scans of SITES only")
    group.add_argument("--fetal-only", action="store_true", help="the fetal site only")
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("THREADS", 2)))
    groups = {}
    if not args.fetal_only:
        groups["real"] = site_scans()
    if not args.no_fetal:
        groups["fetal"] = fetal_scans()
    for path in args.checkpoints:
        model, cfg, ckpt = load_any(path)
        means = {}
        for group, scans in groups.items():
            result = scores(model, scans, context_of(cfg.in_channels), args.detail)
            for image, (mean, d) in result.items():
                print(f"{path} step {ckpt.get('step')} {image:38s} mean {mean:.4f}  " + " ".join(f"{c}:{x:.3f}" for c, x in d.items()), flush=True)
            means[group] = float(np.mean([m for m, _ in result.values()]))
        print(f"{path} step {ckpt.get('step')} " + "  ".join(f"{g} mean {m:.4f}" for g, m in means.items()), flush=True)
