"""A compact 2.5D U-Net: 2k+1 neighbouring slices in, per-class logits for the centre slice out.

Plain Conv2d / ReLU / MaxPool / nearest Resize / Concat only, so every onnxruntime-web
backend (WASM, WebGPU) runs the whole graph. Conv layers are named so LoRA can target them.
"""
from dataclasses import dataclass, asdict
import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelConfig:
    in_channels: int = 3        # 2 * context + 1 slices
    num_classes: int = 4
    widths: tuple = (12, 24, 48, 96)

    def to_dict(self):
        return asdict(self)


class Block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.norm2 = nn.BatchNorm2d(cout)

    def forward(self, x):
        x = F.relu(self.norm1(self.conv1(x)))
        return F.relu(self.norm2(self.conv2(x)))


class UNet2D(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        w = cfg.widths
        self.down = nn.ModuleList()
        cin = cfg.in_channels
        for cout in w:
            self.down.append(Block(cin, cout))
            cin = cout
        self.up = nn.ModuleList()
        for i in range(len(w) - 2, -1, -1):
            self.up.append(Block(w[i + 1] + w[i], w[i]))
        self.head = nn.Conv2d(w[0], cfg.num_classes, 1)

    def forward(self, x):
        skips = []
        for i, block in enumerate(self.down):
            x = block(x)
            if i < len(self.down) - 1:
                skips.append(x)
                x = F.max_pool2d(x, 2)
        for block in self.up:
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            x = block(torch.cat([x, skips.pop()], dim=1))
        return self.head(x)
