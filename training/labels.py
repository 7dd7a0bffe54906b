"""Label conventions -> tissue classes (0 bg, 1 CSF, 2 GM, 3 WM).

The tables are src/core/metrics/{freesurfer,gif}-tissue.json, shared with the app's evaluation
(src/core/metrics/conventions.ts): FreeSurfer aseg/aparc numbering and GIF (NeuroMorphometrics) numbering.
"""
import json, os
import numpy as np

_TABLES = os.path.join(os.path.dirname(__file__), "..", "src", "core", "metrics")


def _expand(entries):
    return [v for e in entries for v in (range(e[0], e[1] + 1) if isinstance(e, list) else [e])]


def _load(name):
    """(classes, CSF, GM, WM, lookup) from a *-tissue.json table; lookup maps label value -> class."""
    with open(os.path.join(_TABLES, name)) as f:
        table = json.load(f)
    csf, gm, wm = _expand(table["CSF"]), _expand(table["GM"]), _expand(table["WM"])
    lut = np.zeros(max(csf + gm + wm) + 1, np.uint8)
    lut[csf], lut[gm], lut[wm] = 1, 2, 3
    return table["classes"], csf, gm, wm, lut


CLASSES, CSF, GM, WM, _FS_LUT = _load("freesurfer-tissue.json")
_, GIF_CSF, GIF_GM, GIF_WM, _GIF_LUT = _load("gif-tissue.json")


def _apply(lut: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Map label values through lut; values beyond the table (everything unlisted) are background."""
    labels = np.asarray(labels).astype(np.int64)
    if labels.size and labels.max() >= len(lut):
        lut = np.concatenate([lut, np.zeros(int(labels.max()) + 1 - len(lut), np.uint8)])
    return lut[labels]


def freesurfer_to_tissue(labels: np.ndarray) -> np.ndarray:
    """Map a FreeSurfer label volume to tissue classes; everything unlisted is background."""
    return _apply(_FS_LUT, labels)


def gif_to_tissue(labels: np.ndarray) -> np.ndarray:
    """Map a GIF parcellation (GIFColourLUTv3 / NeuroMorphometrics numbering) to tissue classes; everything unlisted is background."""
    return _apply(_GIF_LUT, labels)


# The class a convention gives an excluded label (conventions.ts's EXCLUDED): it counts for no Dice,
# in mask and reference alike (infer.dice), as the fetal cerebellum in feta-tissue.json.
EXCLUDED = 255


class convention_table:
    """A label table keyed by class name (src/core/metrics/<name>): maps label values onto the
    classes of a model given by name, as the app maps a reference by the manifest's class names;
    the table's "excluded" values map to EXCLUDED."""

    def __init__(self, name, classes=None):
        with open(os.path.join(_TABLES, name)) as f:
            table = json.load(f)
        self.classes = classes or table["classes"]
        lut = np.zeros(1, np.uint8)
        for index, cls in enumerate(self.classes):
            values = _expand(table.get(cls, []))
            if values and max(values) >= len(lut):
                lut = np.concatenate([lut, np.zeros(max(values) + 1 - len(lut), np.uint8)])
            lut[values] = index
        excluded = _expand(table.get("excluded", []))
        if excluded and max(excluded) >= len(lut):
            lut = np.concatenate([lut, np.zeros(max(excluded) + 1 - len(lut), np.uint8)])
        lut[excluded] = EXCLUDED
        self.lut = lut

    def __call__(self, labels):
        return _apply(self.lut, labels)
