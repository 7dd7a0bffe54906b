"""Weight interpolation of two checkpoints of one network (a "model soup", WiSE-FT): (1 - alpha) * A + alpha * B.

Both must share an ancestor (B continued from A), so the straight line between them stays in one
basin. Tried for a stronger base (model card, "A stronger base"): the shipped 0.3.0 (axial only) and
stage 8 (0.3.0 continued on all three planes), alpha 0.3 / 0.5 / 0.7, e.g.
  /usr/bin/python3 soup.py ../public/models/siteseg-tissue/model.onnx out/stage8.pt 0.7 out/soup.pt
  /usr/bin/python3 export.py out/soup.pt /tmp/soup --id scratch-soup   (then delete parity/scratch-soup.json)
"""
import argparse
import torch
from model import ModelConfig, UNet2D
from train import init_weights


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a", help="start: a checkpoint (.pt) or a shipped model.onnx")
    ap.add_argument("b", help="end: a checkpoint (.pt, its EMA weights) or model.onnx")
    ap.add_argument("alpha", type=float, help="0 gives a, 1 gives b")
    ap.add_argument("out")
    args = ap.parse_args()
    ends = []
    for path in (args.a, args.b):
        cfg = torch.load(path, map_location="cpu", weights_only=False)["config"] if path.endswith(".pt") else None
        model = UNet2D(ModelConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in cfg.items()}) if cfg else ModelConfig())
        init_weights(model, path)
        ends.append(model)
    (a, b), t = (m.state_dict() for m in ends), args.alpha
    # running BatchNorm statistics are interpolated too (they are what the exported graph folds in)
    mixed = {k: ((1 - t) * v.float() + t * b[k].float()).to(v.dtype) if v.is_floating_point() else b[k] for k, v in a.items()}
    torch.save({"config": ends[0].cfg.to_dict(), "state_dict": mixed, "step": 0, "soup": {"a": args.a, "b": args.b, "alpha": t}}, args.out)
    print(f"wrote {args.out}: {1 - t:g} x {args.a} + {t:g} x {args.b}")


if __name__ == "__main__":
    main()
