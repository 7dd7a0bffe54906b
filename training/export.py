"""Export a trained checkpoint to ONNX with its manifest.  /usr/bin/python3 export.py out/base.pt ../public/models/siteseg-tissue"""
import argparse, hashlib, json, os
import numpy as np
import torch
from model import ModelConfig, UNet2D

CLASS_COLOURS = [[0, 0, 0], [80, 160, 255], [255, 120, 60], [240, 240, 120]]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def load(ckpt_path):
    ckpt = torch.load(ckpt_path, map_location="cpu")
    cfg = ModelConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in ckpt["config"].items()})
    model = UNet2D(cfg)
    model.load_state_dict(ckpt["state_dict"])
    return model.eval(), cfg, ckpt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("outdir")
    ap.add_argument("--id", default="siteseg-tissue")
    ap.add_argument("--version", default="0.1.0")
    args = ap.parse_args()
    model, cfg, ckpt = load(args.checkpoint)
    os.makedirs(args.outdir, exist_ok=True)
    onnx_path = os.path.join(args.outdir, "model.onnx")
    x = torch.zeros(2, cfg.in_channels, 64, 80)
    torch.onnx.export(model, x, onnx_path, input_names=["image"], output_names=["logits"], opset_version=17,
                      dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"}, "logits": {0: "batch", 2: "height", 3: "width"}},
                      do_constant_folding=True)

    # Parity fixture: a fixed random input and PyTorch's output, checked against onnxruntime by the TS tests.
    rng = np.random.default_rng(0)
    probe = rng.random((2, cfg.in_channels, 48, 64), dtype=np.float32)
    with torch.no_grad():
        ref = model(torch.from_numpy(probe)).numpy()
    parity = {"input": probe.ravel().tolist(), "inputDims": list(probe.shape),
              "output": ref.ravel().tolist(), "outputDims": list(ref.shape), "tolerance": 1e-3}
    with open(os.path.join(args.outdir, "parity.json"), "w") as f:
        json.dump(parity, f)

    manifest = {
        "schemaVersion": 1,
        "id": args.id,
        "name": "Brain tissue — 2.5D U-Net (CSF / GM / WM)",
        "version": args.version,
        "description": "Trained only on synthetic images from SynthSeg label maps (random contrasts), so it is meant to work on T1, T2 and other MRI contrasts.",
        "files": {"model": {"path": "model.onnx", "sha256": sha256(onnx_path), "bytes": os.path.getsize(onnx_path)}},
        "input": {"orientation": "RAS", "spacing": [1, 1, 1], "sliceAxis": 2, "contextSlices": (cfg.in_channels - 1) // 2,
                  "multipleOf": 16, "maxSliceSize": [320, 320], "batchSize": 4, "inputName": "image", "outputName": "logits"},
        "preprocess": [{"kind": "percentileScale", "lower": 0.5, "upper": 99.5}],
        "classes": [{"index": i, "name": n, "color": c} for i, (n, c) in enumerate(zip(["background", "CSF", "GM", "WM"], CLASS_COLOURS))],
        "labelConventions": ["tissue", "freesurfer"],
        "adapters": {"slots": [], "maxRank": 0, "shipped": []},
        "training": {"config": cfg.to_dict(), "steps": ckpt["step"], "args": ckpt.get("train_args", {})},
    }
    with open(os.path.join(args.outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    print("wrote", onnx_path, os.path.getsize(onnx_path), "bytes")


if __name__ == "__main__":
    main()
