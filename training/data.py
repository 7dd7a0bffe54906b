"""Label maps from ../shared/data, loaded once, in RAS at 1 mm, with tissue targets."""
import glob, os
import numpy as np
from labels import freesurfer_to_tissue

DATA = os.environ.get("SITESEG_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
PACKED = "synthseg_maps.npz"  # the same maps packed by pack_synthseg_maps (numpy only: the GPU job)


def load_synthseg_maps(limit=None, data=None):
    """(name, labels uint16, label ids, tissue classes) per SynthSeg training map, sorted by name."""
    root = data or DATA
    if os.path.exists(os.path.join(root, PACKED)):
        packed = np.load(os.path.join(root, PACKED))
        names = [str(n) for n in packed["names"]][:limit]
        maps = [(n, packed[n]) for n in names]
    else:
        import nibabel as nib  # not needed where the maps come packed
        files = sorted(glob.glob(os.path.join(root, "synthseg", "training_seg_*.nii.gz")))[:limit]
        maps = [(os.path.basename(f), np.asanyarray(nib.as_closest_canonical(nib.load(f)).dataobj).astype(np.uint16)) for f in files]
    if not maps:
        raise SystemExit(f"no label maps in {os.path.join(root, 'synthseg')} or {os.path.join(root, PACKED)} (set --data or $SITESEG_DATA)")
    return [(name, lab, np.unique(lab).astype(np.int64), freesurfer_to_tissue(lab)) for name, lab in maps]


def pack_synthseg_maps(out_dir, data=None):
    """Writes the maps, reoriented to RAS, into out_dir/synthseg_maps.npz."""
    maps = load_synthseg_maps(None, data)
    os.makedirs(out_dir, exist_ok=True)
    np.savez_compressed(os.path.join(out_dir, PACKED), names=np.array([m[0] for m in maps]), **{m[0]: m[1] for m in maps})
    return os.path.join(out_dir, PACKED)
