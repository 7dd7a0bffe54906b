"""LoRA for Conv2d and Linear layers, saved in the layout Hugging Face PEFT writes.

A wrapped layer computes base(x) + B(A(x)) * alpha / r, with A a conv of the base's kernel
(r output channels) and B a 1x1 conv back to the base's channels, as PEFT's lora.Conv2d.
Only A and B train; the base stays frozen. `save_adapter` writes adapter_config.json and
adapter_model.safetensors with PEFT's tensor names
(base_model.model.<module>.lora_A.weight / .lora_B.weight), so the app and CLI load adapters
trained with the `peft` library on this architecture the same way.
"""
import json, math, os, re, struct
from dataclasses import dataclass, field
import numpy as np
import torch
import torch.nn as nn


@dataclass
class LoraConfig:
    r: int = 4
    lora_alpha: int = 8
    target_modules: list = field(default_factory=lambda: ["conv1", "conv2"])
    lora_dropout: float = 0.0

    def matches(self, name: str) -> bool:
        # PEFT's rule for a list: the full name equals a target or ends with "." + target
        return any(name == t or name.endswith("." + t) for t in self.target_modules)


class LoraConv2d(nn.Module):
    def __init__(self, base: nn.Conv2d, r: int, alpha: int):
        super().__init__()
        self.base_layer = base
        self.r, self.scaling = r, alpha / r
        self.lora_A = nn.Conv2d(base.in_channels, r, base.kernel_size, base.stride, base.padding, bias=False)
        self.lora_B = nn.Conv2d(r, base.out_channels, 1, bias=False)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)  # starts as the base exactly

    def forward(self, x):
        return self.base_layer(x) + self.lora_B(self.lora_A(x)) * self.scaling


class LoraLinear(nn.Module):
    def __init__(self, base: nn.Linear, r: int, alpha: int):
        super().__init__()
        self.base_layer = base
        self.r, self.scaling = r, alpha / r
        self.lora_A = nn.Linear(base.in_features, r, bias=False)
        self.lora_B = nn.Linear(r, base.out_features, bias=False)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)

    def forward(self, x):
        return self.base_layer(x) + self.lora_B(self.lora_A(x)) * self.scaling


def inject(model: nn.Module, cfg: LoraConfig) -> list:
    """Wrap every targeted Conv2d/Linear in place, freeze everything else; returns adapted names."""
    for p in model.parameters():
        p.requires_grad_(False)
    names = []
    for name, module in list(model.named_modules()):
        if not cfg.matches(name) or not isinstance(module, (nn.Conv2d, nn.Linear)):
            continue
        parent = model.get_submodule(name.rsplit(".", 1)[0]) if "." in name else model
        wrapped = (LoraConv2d if isinstance(module, nn.Conv2d) else LoraLinear)(module, cfg.r, cfg.lora_alpha)
        setattr(parent, name.rsplit(".", 1)[-1], wrapped)
        names.append(name)
    if not names:
        raise ValueError(f"no Conv2d/Linear module matches target_modules {cfg.target_modules}")
    return names


def lora_state_dict(model: nn.Module) -> dict:
    """Only the LoRA tensors, under PEFT's saved names."""
    return {f"base_model.model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()
            if ".lora_A." in k or ".lora_B." in k}


def load_lora_state_dict(model: nn.Module, tensors: dict):
    own = model.state_dict()
    for k, v in tensors.items():
        key = re.sub(r"^base_model\.model\.", "", k)
        if key not in own:
            raise KeyError(f"adapter tensor {k} has no place in this model")
        own[key].copy_(torch.as_tensor(v))


def write_safetensors(path: str, tensors: dict, metadata: dict | None = None):
    """The safetensors format: u64 header length, JSON header, raw little-endian data."""
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name].numpy().astype("<f4"))
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + arr.nbytes]}
        chunks.append(arr.tobytes())
        offset += arr.nbytes
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # align data to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(chunks))


def read_safetensors(path: str) -> dict:
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        assert info["dtype"] == "F32", f"{name}: only F32 adapters are written here"
        out[name] = torch.from_numpy(np.frombuffer(data[8 + n + a:8 + n + b], "<f4").reshape(info["shape"]).copy())
    return out


def save_adapter(outdir: str, model: nn.Module, cfg: LoraConfig, base_model_id: str, extra: dict | None = None):
    os.makedirs(outdir, exist_ok=True)
    config = {
        "peft_type": "LORA", "task_type": None, "base_model_name_or_path": base_model_id,
        "r": cfg.r, "lora_alpha": cfg.lora_alpha, "lora_dropout": cfg.lora_dropout,
        "target_modules": cfg.target_modules, "bias": "none", "fan_in_fan_out": False,
        "inference_mode": True, "use_rslora": False, "use_dora": False, "modules_to_save": None,
        **(extra or {}),
    }
    with open(os.path.join(outdir, "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=2)
    write_safetensors(os.path.join(outdir, "adapter_model.safetensors"), lora_state_dict(model), {"format": "pt"})
