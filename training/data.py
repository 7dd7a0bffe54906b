"""Label maps from ../shared/data, loaded once, in RAS at 1 mm, with tissue targets."""
import glob, os
import nibabel as nib
import numpy as np
from labels import freesurfer_to_tissue

DATA = os.environ.get("SITESEG_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))


def load_synthseg_maps(limit=None, data=None):
    """(name, labels uint16, label ids, tissue classes) per SynthSeg training map, sorted by name."""
    files = sorted(glob.glob(os.path.join(data or DATA, "synthseg", "training_seg_*.nii.gz")))[:limit]
    if not files:
        raise SystemExit(f"no label maps in {os.path.join(data or DATA, 'synthseg')} (set --data or $SITESEG_DATA)")
    out = []
    for f in files:
        img = nib.as_closest_canonical(nib.load(f))
        lab = np.asanyarray(img.dataobj).astype(np.int32)
        out.append((os.path.basename(f), lab.astype(np.uint16), np.unique(lab), freesurfer_to_tissue(lab)))
    return out
