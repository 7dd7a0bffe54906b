"""Whole-volume inference in PyTorch, mirroring src/core/pipeline (for monitoring and parity)."""
import numpy as np
import torch
from contract import MULTIPLE_OF


def segment_ras(model, img: np.ndarray, context: int = 1, batch: int = 16) -> np.ndarray:
    """img: normalised RAS volume [x, y, z] at the model spacing. Returns labels [x, y, z]."""
    x, y, z = img.shape
    pad = lambda n: -(-n // MULTIPLE_OF) * MULTIPLE_OF
    vol = np.zeros((pad(x), pad(y), z + 2 * context), np.float32)
    vol[:x, :y, context:context + z] = img
    out = np.zeros((x, y, z), np.uint8)
    model.eval()
    with torch.no_grad():
        for s in range(0, z, batch):
            idx = range(s, min(s + batch, z))
            slabs = np.stack([vol[:, :, i:i + 2 * context + 1].transpose(2, 1, 0) for i in idx])
            logits = model(torch.from_numpy(slabs))
            out[:, :, s:s + len(idx)] = logits.argmax(1).numpy().transpose(2, 1, 0)[:x, :y]
    return out


def dice(pred, ref, classes=(1, 2, 3), excluded=255):
    """Dice per class; voxels whose reference is `excluded` (labels.EXCLUDED: a label the convention
    cannot score, the fetal cerebellum) count in neither mask nor reference, as the app scores them."""
    keep = ref != excluded
    d = {}
    for c in classes:
        a, b = (pred == c) & keep, ref == c
        s = a.sum() + b.sum()
        d[c] = float(2 * (a & b).sum() / s) if s else float("nan")
    return d
