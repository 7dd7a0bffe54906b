"""The training contract: what the model sees, written once.

Synthesis (synth.py), inference and monitoring (infer.py, monitor.py, sites.py), training
(train.py) and export (export.py, which writes it into the manifest the app reads) all take
these from here: the grid (orientation, spacing), the slice axis and context, the slice size
rules, the normalisation, and each task's class table. The values live in
contract.json, which a test checks against every shipped manifest; the app's side is
src/core/pipeline/segment.ts (modelInput) and src/core/preprocess/normalise.ts.
"""
import json, os
import numpy as np
import torch

_C = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "contract.json"), encoding="utf-8"))
INPUT = _C["input"]  # grid, slice axis, slice size rules, limits (the manifest's "input" but the context)
ORIENTATION, SPACING, SLICE_AXIS = INPUT["orientation"], tuple(INPUT["spacing"]), INPUT["sliceAxis"]
MULTIPLE_OF, MAX_SLICE = INPUT["multipleOf"], tuple(INPUT["maxSliceSize"])
PREPROCESS = _C["preprocess"]
PERCENTILES = (PREPROCESS[0]["lower"], PREPROCESS[0]["upper"])
MAX_SAMPLE = _C["percentileMaxSample"]  # percentiles over an even sample of at most this many voxels (normalise.ts)
# Each task's classes (names, colours; the first is the background), the reference conventions
# that map onto them by class name, and the inference options its manifest offers.
TASKS = {k: {**t, "classes": [(c["name"], c["color"]) for c in t["classes"]]} for k, t in _C["tasks"].items()}


def context_of(in_channels: int) -> int:
    """Neighbouring slices on each side: a model with 2k + 1 input channels reads k."""
    return (in_channels - 1) // 2


def manifest_input(in_channels: int) -> dict:
    """The manifest's "input" section for a model with this many input channels."""
    return {**INPUT, "contextSlices": context_of(in_channels)}


def percentiles_above(x: torch.Tensor, floor: float, ps) -> list:
    """numpy's linear-rule percentiles of the finite values above `floor`, over an even stride
    sample of at most MAX_SAMPLE of them, as percentileAbove in normalise.ts."""
    v = x.reshape(-1)
    v = v[(v > floor) & torch.isfinite(v)]
    n = v.numel()
    if n == 0:
        return [floor for _ in ps]
    step = max(1, -(-n // MAX_SAMPLE))
    s = torch.sort(v[::step].float()).values
    out = []
    for p in ps:
        t = p / 100 * (s.numel() - 1)
        lo = int(np.floor(t))
        hi = min(lo + 1, s.numel() - 1)
        out.append(float(s[lo] + (t - lo) * (s[hi] - s[lo])))
    return out


def normalise(x, floor=None):
    """The manifest's percentile scaling to [0, 1] (numpy array or torch tensor in, the same out).
    `floor`: values at or below it are background (default: the smallest finite value)."""
    as_numpy = isinstance(x, np.ndarray)
    t = torch.from_numpy(np.ascontiguousarray(x, np.float32)) if as_numpy else x.float()
    if floor is None:
        finite = t[torch.isfinite(t)]
        floor = float(finite.min()) if finite.numel() else 0.0
    lo, hi = percentiles_above(t, floor, PERCENTILES)
    out = torch.nan_to_num(((t - lo) / max(hi - lo, 1e-6)), nan=0.0).clamp(0, 1)
    return out.numpy() if as_numpy else out
