"""Recover a training checkpoint from a shipped model.onnx, so training can continue in a fresh
checkout (training/out/ is not committed; the exported model is the weights of record).

  /usr/bin/python3 from_onnx.py ../public/models/siteseg-tissue/model.onnx out/base.pt --step 10367
"""
import argparse, os
import onnx
from onnx import numpy_helper
import torch
from model import ModelConfig, UNet2D


def widths_of(weights):
    """The U-Net's widths, read from its exported down-path convolutions (0.3.0: 12-96, 0.4.0: 16-128)."""
    widths, i = [], 0
    while f"model.down.{i}.conv1.base.weight" in weights:
        widths.append(int(weights[f"model.down.{i}.conv1.base.weight"].shape[0]))
        i += 1
    return tuple(widths)


def model_from_onnx(onnx_path):
    """The U-Net with the weights of a model.onnx that export.py wrote (in eval mode)."""
    weights = {i.name: numpy_helper.to_array(i) for i in onnx.load(onnx_path).graph.initializer}
    model = UNet2D(ModelConfig(widths=widths_of(weights)))
    state = model.state_dict()
    for key in state:
        if key.endswith("num_batches_tracked"):
            continue
        # export.py wraps the model ("model.") and each LoRA-slot conv ("conv1" -> "conv1.base").
        name = "model." + key.replace(".conv1.", ".conv1.base.").replace(".conv2.", ".conv2.base.")
        state[key] = torch.from_numpy(weights[name].copy())
    model.load_state_dict(state)
    return model.eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("onnx_path")
    ap.add_argument("out")
    ap.add_argument("--step", type=int, default=0, help="training steps behind the export (model card)")
    args = ap.parse_args()
    model = model_from_onnx(args.onnx_path)
    state = model.state_dict()
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    torch.save({"config": model.cfg.to_dict(), "state_dict": model.state_dict(), "step": args.step,
                "train_args": {"from_onnx": args.onnx_path}}, args.out)
    print(f"{args.out}: {len(state)} tensors from {args.onnx_path}")


if __name__ == "__main__":
    main()
