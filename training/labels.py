"""Label conventions: FreeSurfer aseg/aparc numbering -> tissue classes (0 bg, 1 CSF, 2 GM, 3 WM).

The table is src/core/metrics/freesurfer-tissue.json, shared with the app's evaluation.
"""
import json, os
import numpy as np

with open(os.path.join(os.path.dirname(__file__), "..", "src", "core", "metrics", "freesurfer-tissue.json")) as f:
    _TABLE = json.load(f)


def _expand(entries):
    return [v for e in entries for v in (range(e[0], e[1] + 1) if isinstance(e, list) else [e])]


CLASSES = _TABLE["classes"]
CSF, GM, WM = _expand(_TABLE["CSF"]), _expand(_TABLE["GM"]), _expand(_TABLE["WM"])


def freesurfer_to_tissue(labels: np.ndarray) -> np.ndarray:
    """Map a FreeSurfer label volume to tissue classes; everything unlisted is background."""
    lut = np.zeros(max(int(labels.max()) + 1, 12176), np.uint8)
    lut[CSF] = 1
    lut[GM] = 2
    lut[WM] = 3
    return lut[labels.astype(np.int64)]
