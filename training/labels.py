"""Label conventions: FreeSurfer aseg/aparc numbering -> tissue classes (0 bg, 1 CSF, 2 GM, 3 WM).

The same table lives in src/core/metrics/conventions.ts; tests check that they agree.
Source: ../shared/data/README.md ("The tissue convention used for evaluation").
"""
import numpy as np

CLASSES = ["background", "CSF", "GM", "WM"]

CSF = [4, 5, 14, 15, 43, 44, 72, 31, 63]
GM = [3, 42, 8, 47, 10, 49, 11, 50, 12, 51, 13, 52, 17, 53, 18, 54, 26, 58, 28, 60] \
    + list(range(1000, 1036)) + list(range(2000, 2036)) \
    + list(range(11100, 11176)) + list(range(12100, 12176))
WM = [2, 41, 7, 46, 16, 77, 78, 79, 85, 192] + list(range(251, 256))


def freesurfer_to_tissue(labels: np.ndarray) -> np.ndarray:
    """Map a FreeSurfer label volume to tissue classes; everything unlisted is background."""
    lut = np.zeros(max(int(labels.max()) + 1, 12176), np.uint8)
    lut[CSF] = 1
    lut[GM] = 2
    lut[WM] = 3
    return lut[labels.astype(np.int64)]
