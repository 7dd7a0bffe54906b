"""An adapter trained and saved by the Hugging Face `peft` library itself, as a test fixture.

Checks the claim that the app and CLI load adapters made with `peft` exactly like those made
by lora.py: `peft.get_peft_model` wraps the base's convolutions, a few optimiser steps train only
the LoRA weights on labelled slices of the spm152 site (base frozen, BatchNorm in eval mode),
`save_pretrained` writes the adapter, and the probe from parity/<id>.json goes through the peft
model. src/runtime/parity.test.ts loads those files through the app's adapter loader and feeds
them to the shipped ONNX model.

`peft` is not packaged by Debian: run with a Python that has it, e.g.
  python3 -m venv --system-site-packages /tmp/peftenv && /tmp/peftenv/bin/pip install peft
  /tmp/peftenv/bin/python peft_interop.py out/base.pt
"""
import argparse, json, os, shutil
import torch
import torch.nn.functional as F
import peft
from peft import LoraConfig, get_peft_model
from model import ModelConfig, UNet2D
from sites import SITES, load_site_volume

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("--id", default="siteseg-tissue")
    ap.add_argument("--steps", type=int, default=20)
    args = ap.parse_args()
    parity = json.load(open(os.path.join(HERE, "parity", f"{args.id}.json")))
    probe = torch.tensor(parity["input"], dtype=torch.float32).reshape(parity["inputDims"])

    ckpt = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
    cfg = dict(ckpt["config"], widths=tuple(ckpt["config"]["widths"]))
    base = UNet2D(ModelConfig(**cfg))
    base.load_state_dict(ckpt["state_dict"])
    base.eval()
    with torch.no_grad():
        drift = (base(probe).ravel() - torch.tensor(parity["output"])).abs().max().item()
    assert drift < 1e-4, f"{args.checkpoint} is not the exported model (probe differs by {drift})"

    base.name_or_path = args.id  # peft records it as base_model_name_or_path
    # rank 3 and rsLoRA on purpose: neither is what lora.py writes, so the loader's padding and scaling are exercised
    model = get_peft_model(base, LoraConfig(r=3, lora_alpha=6, use_rslora=True, target_modules=["conv1", "conv2"],
                                            lora_dropout=0.0))
    model.eval()  # trains LoRA weights only; BatchNorm keeps the base's statistics

    site = SITES["spm152"]
    vol = load_site_volume(site["images"][0], site["label"], site["convention"])
    img, lab = torch.from_numpy(vol["image"]), torch.from_numpy(vol["labels"])
    zs = [30, 50, 70]
    x = torch.stack([img[:, :, z - 1:z + 2].permute(2, 1, 0) for z in zs])[:, :, :96, :80]
    y = torch.stack([lab[:, :, z].T for z in zs])[:, :96, :80]
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    for step in range(args.steps):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"peft adapter: {sum(p.numel() for p in model.parameters() if p.requires_grad)} parameters, loss {loss.item():.3f}")

    out_dir = os.path.join(HERE, "parity", f"{args.id}-peft")
    model.save_pretrained(out_dir)
    os.remove(os.path.join(out_dir, "README.md"))  # peft's model-card template, nothing the loader reads
    with torch.no_grad():
        out = model(probe).numpy()
    # the fixture carries its own base (the exported model the adapter was trained on) and probe,
    # so a later base does not invalidate it: the claim is about the adapter format, not one base
    model_dir = os.path.join(HERE, "..", "public", "models", args.id)
    shutil.copyfile(os.path.join(model_dir, "model.onnx"), os.path.join(out_dir, "base.onnx"))
    manifest = json.load(open(os.path.join(model_dir, "manifest.json")))
    version = manifest["version"]
    # and that base's manifest (its slots' shapes), pointing at base.onnx, without the files it lacks
    manifest["files"] = {"model": {**manifest["files"]["model"], "path": "base.onnx"}}
    manifest["adapters"]["shipped"] = []
    manifest["inference"]["options"] = [o for o in manifest["inference"]["options"] if o["kind"] != "selfAdapt"]
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        json.dump({"peft": peft.__version__, "torch": torch.__version__, "base": {"path": "base.onnx", "version": version},
                   "input": parity["input"], "inputDims": parity["inputDims"], "baseOutput": parity["output"],
                   "tolerance": parity["tolerance"], "output": out.ravel().tolist(), "outputDims": list(out.shape)}, f)
    print("wrote", out_dir, os.listdir(out_dir))


if __name__ == "__main__":
    main()
