"""Export a trained checkpoint to ONNX with its manifest.  /usr/bin/python3 export.py out/base.pt ../public/models/siteseg-tissue"""
import argparse, hashlib, json, os
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from contract import PREPROCESS, TASKS, manifest_input
from lora import LoraConfig
from model import ModelConfig, UNet2D

def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def load(ckpt_path):
    ckpt = torch.load(ckpt_path, map_location="cpu")
    cfg = ModelConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in ckpt["config"].items()})
    model = UNet2D(cfg)
    model.load_state_dict(ckpt["state_dict"])
    return model.eval(), cfg, ckpt


class SlotConv2d(nn.Module):
    """A frozen conv whose weight gets the LoRA product B.A added per run; A and B arrive as graph
    inputs (scaling folded into B), so zeros are the base exactly."""

    def __init__(self, base: nn.Conv2d):
        super().__init__()
        self.base = base
        self.A = self.B = None

    def forward(self, x):
        # merged per run: W + B.A is a [Cout, R] x [R, Cin*kh*kw] product, nothing beside the
        # conv itself; a separate LoRA branch (Conv x->R, Conv R->Cout) cost 30% of the model's
        # time in onnxruntime-web (WASM: 103 of 339 ms for 8 crops of 128x128, one thread)
        w = self.base.weight
        delta = torch.matmul(self.B.reshape(w.shape[0], -1), self.A.reshape(self.A.shape[0], -1)).reshape(w.shape)
        return F.conv2d(x, w + delta, self.base.bias, self.base.stride, self.base.padding, self.base.dilation, self.base.groups)


class WithAdapterInputs(nn.Module):
    """Export wrapper: forward(image, A_0, B_0, A_1, B_1, ...) feeds each slot, then runs the model."""

    def __init__(self, model: nn.Module, targets: list):
        super().__init__()
        self.model, self.names, self.slots = model, [], []
        for name, module in list(model.named_modules()):
            if isinstance(module, nn.Conv2d) and LoraConfig(target_modules=targets).matches(name):
                slot = SlotConv2d(module)
                parent = model.get_submodule(name.rsplit(".", 1)[0]) if "." in name else model
                setattr(parent, name.rsplit(".", 1)[-1], slot)
                self.names.append(name)
                self.slots.append(slot)

    def forward(self, x, *ab):
        for i, slot in enumerate(self.slots):
            slot.A, slot.B = ab[2 * i], ab[2 * i + 1]
        return self.model(x)


def slot_inputs(names, slots, rank):
    """Zero adapter tensors (rank `rank`) in input order: the base model exactly."""
    out = []
    for slot in slots:
        c = slot.base
        out += [torch.zeros(rank, c.in_channels, *c.kernel_size), torch.zeros(c.out_channels, rank, 1, 1)]
    return out


def shipped_adapters(outdir):
    """Adapters already saved under <model>/adapters/<name>/ (by train_adapter.py)."""
    root = os.path.join(outdir, "adapters")
    out = []
    for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        cfg_path = os.path.join(root, name, "adapter_config.json")
        if os.path.exists(cfg_path):
            cfg = json.load(open(cfg_path))
            files = {k: {"sha256": sha256(os.path.join(root, name, f)), "bytes": os.path.getsize(os.path.join(root, name, f))}
                     for k, f in (("config", "adapter_config.json"), ("weights", "adapter_model.safetensors"))}
            out.append({"name": name, "site": cfg.get("site", name), "description": cfg.get("description", ""), "path": f"adapters/{name}", "files": files})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("outdir")
    ap.add_argument("--id", default="siteseg-tissue")
    ap.add_argument("--task", default="tissue", choices=sorted(TASKS))
    ap.add_argument("--version", default="0.1.0")
    ap.add_argument("--lora-targets", default="conv1,conv2", help="modules given LoRA slots (graph inputs)")
    ap.add_argument("--max-rank", type=int, default=8, help="slot rank; smaller adapters are zero-padded")
    args = ap.parse_args()
    model, cfg, ckpt = load(args.checkpoint)
    task = TASKS[args.task]
    assert len(task["classes"]) == cfg.num_classes, f"the checkpoint has {cfg.num_classes} classes, task {args.task} {len(task['classes'])}"
    os.makedirs(args.outdir, exist_ok=True)
    onnx_path = os.path.join(args.outdir, "model.onnx")
    targets = [t for t in args.lora_targets.split(",") if t]
    wrapper = WithAdapterInputs(model, targets).eval()
    R = args.max_rank
    slot_names = [n for name in wrapper.names for n in (f"lora.{name}.A", f"lora.{name}.B")]
    x = torch.zeros(2, cfg.in_channels, 64, 80)
    torch.onnx.export(wrapper, (x, *slot_inputs(wrapper.names, wrapper.slots, R)), onnx_path,
                      input_names=["image"] + slot_names, output_names=["logits"], opset_version=17,
                      dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"}, "logits": {0: "batch", 2: "height", 3: "width"}},
                      do_constant_folding=True)

    # Parity fixtures for src/runtime/parity.test.ts: a fixed probe through PyTorch, without an
    # adapter and with a random PEFT-style LoRA (r=2, alpha=3) injected by lora.py.
    rng = np.random.default_rng(0)
    probe = rng.random((1, cfg.in_channels, 32, 48), dtype=np.float32)
    with torch.no_grad():
        ref = wrapper(torch.from_numpy(probe), *slot_inputs(wrapper.names, wrapper.slots, R)).numpy()
    lora_cfg = LoraConfig(r=2, lora_alpha=3, target_modules=targets)
    adapted, _, _ = load(args.checkpoint)
    from lora import inject, lora_state_dict
    inject(adapted, lora_cfg)
    torch.manual_seed(1)
    with torch.no_grad():
        for name, p in adapted.named_parameters():
            if "lora_" in name:
                p.normal_(0, 0.05)
        ref_lora = adapted(torch.from_numpy(probe)).numpy()
    parity = {"input": probe.ravel().tolist(), "inputDims": list(probe.shape),
              "output": ref.ravel().tolist(), "outputDims": list(ref.shape), "tolerance": 1e-3,
              "adapter": {"config": {"r": lora_cfg.r, "lora_alpha": lora_cfg.lora_alpha, "target_modules": targets,
                                     "base_model_name_or_path": args.id, "peft_type": "LORA"},
                          "tensors": {k: {"shape": list(v.shape), "data": v.ravel().tolist()} for k, v in lora_state_dict(adapted).items()},
                          "output": ref_lora.ravel().tolist()}}
    parity_dir = os.path.join(os.path.dirname(__file__), "parity")
    os.makedirs(parity_dir, exist_ok=True)
    with open(os.path.join(parity_dir, f"{args.id}.json"), "w") as f:
        json.dump(parity, f)

    slots = [{"module": name, "inputA": f"lora.{name}.A", "inputB": f"lora.{name}.B",
              "inFeatures": s.base.in_channels, "outFeatures": s.base.out_channels, "kernel": list(s.base.kernel_size)}
             for name, s in zip(wrapper.names, wrapper.slots)]
    manifest = {
        "schemaVersion": 1,
        "id": args.id,
        "name": task["name"],
        "version": args.version,
        "description": task["description"],
        "files": {"model": {"path": "model.onnx", "sha256": sha256(onnx_path), "bytes": os.path.getsize(onnx_path)}},
        "input": manifest_input(cfg.in_channels),
        "preprocess": PREPROCESS,
        "classes": [{"index": i, "name": n, "color": c} for i, (n, c) in enumerate(task["classes"])],
        "background": task["classes"][0][0],
        "labelConventions": task["labelConventions"],
        "adapters": {"slots": slots, "maxRank": R, "shipped": shipped_adapters(args.outdir)},
        # a selfAdapt option needs train_step.onnx: grad_export.py adds it when it records that graph
        "inference": {"options": [o for o in task.get("inference", {}).get("options", []) if o["kind"] != "selfAdapt"]},
        "training": {"config": cfg.to_dict(), "steps": ckpt["step"], **({"stage": ckpt["stage"]} if "stage" in ckpt else {"args": ckpt.get("train_args", {})})},
    }
    with open(os.path.join(args.outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    # The app lists the models named in public/models/index.json (a model kept elsewhere is opened from disk).
    index_path = os.path.join(os.path.dirname(os.path.abspath(args.outdir)), "index.json")
    ids = json.load(open(index_path)) if os.path.exists(index_path) else None
    if ids is not None and args.id not in ids:
        json.dump(sorted(ids + [args.id]), open(index_path, "w"))
    print("wrote", onnx_path, os.path.getsize(onnx_path), "bytes")


if __name__ == "__main__":
    main()
