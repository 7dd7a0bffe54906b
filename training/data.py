"""Label maps from ../shared/data, loaded once, in RAS at 1 mm, with tissue targets."""
import glob, os
import numpy as np
from labels import freesurfer_to_tissue

DATA = os.environ.get("SITESEG_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
PACKED = "synthseg_maps.npz"  # the same maps packed by pack_synthseg_maps (numpy only: the GPU job)
FETAL_PACKED = "fetal_maps.npz"  # fetal_sb's label maps in FreeSurfer numbering, packed by pack_fetal_maps

# FeTA numbering (../shared/data/fetal_sb/README.md) -> the FreeSurfer labels synthesis knows, per
# hemisphere (left, right: world x < 0 is left in RAS), so each side gets its own intensity jitter
# as in the SynthSeg maps: 1 white matter -> cerebral WM (2, 41); 2 ventricles -> lateral ventricle
# (4, 43); 3 cerebellum -> cerebellar cortex (8, 47: GM, the fetal label holds its grey and white
# matter together and the cortex dominates); 4 extra-axial CSF -> 24 (background in the target, CSF
# in intensity, dropped with it by skull stripping); 5 cortical GM -> cortex (3, 42); 6 deep GM ->
# thalamus (10, 49); 7 brainstem -> 16; 8 corpus callosum -> 251 (WM).
FETA_TO_FREESURFER = {0: (0, 0), 1: (2, 41), 2: (4, 43), 3: (8, 47), 4: (24, 24), 5: (3, 42), 6: (10, 49), 7: (16, 16), 8: (251, 251)}


def _with_targets(maps):
    return [(name, lab, np.unique(lab).astype(np.int64), freesurfer_to_tissue(lab)) for name, lab in maps]


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
    return _with_targets(maps)


def feta_to_freesurfer(feta, affine):
    """A FeTA label map (on a RAS grid with this affine) in FreeSurfer numbering, hemispheres split."""
    x = (affine @ np.stack([np.arange(feta.shape[0]), np.zeros(feta.shape[0]), np.zeros(feta.shape[0]), np.ones(feta.shape[0])]))[0]
    right = np.broadcast_to((x >= 0)[:, None, None], feta.shape)
    out = np.zeros(feta.shape, np.uint16)
    for v, (left_label, right_label) in FETA_TO_FREESURFER.items():
        out[(feta == v) & ~right] = left_label
        out[(feta == v) & right] = right_label
    return out


def load_fetal_maps(data=None):
    """(name, labels uint16, label ids, tissue classes) per fetal_sb parcellation, on a 1 mm RAS grid
    (nearest neighbour, as sites.py reads a reference), in FreeSurfer numbering, sorted by name."""
    root = data or DATA
    if os.path.exists(os.path.join(root, FETAL_PACKED)):
        packed = np.load(os.path.join(root, FETAL_PACKED))
        maps = [(str(n).replace("__", "/"), packed[str(n)]) for n in packed["names"]]
    else:
        import nibabel as nib
        from sites import model_grid, resample
        maps = []
        for f in sorted(glob.glob(os.path.join(root, "fetal_sb", "*", "parcellation.nii.gz"))):
            img = nib.load(f)
            dims, grid = model_grid(img.shape, img.affine)
            feta = resample(np.asanyarray(img.dataobj).astype(np.float32), img.affine, dims, grid, order=0).astype(np.int64)
            maps.append(("fetal_sb/" + os.path.basename(os.path.dirname(f)), feta_to_freesurfer(feta, grid)))
    if not maps:
        raise SystemExit(f"no fetal label maps in {os.path.join(root, 'fetal_sb')} or {os.path.join(root, FETAL_PACKED)}")
    return _with_targets(maps)


def pack_synthseg_maps(out_dir, data=None):
    """Writes the maps, reoriented to RAS, into out_dir/synthseg_maps.npz."""
    maps = load_synthseg_maps(None, data)
    os.makedirs(out_dir, exist_ok=True)
    np.savez_compressed(os.path.join(out_dir, PACKED), names=np.array([m[0] for m in maps]), **{m[0]: m[1] for m in maps})
    return os.path.join(out_dir, PACKED)


def pack_fetal_maps(out_dir, data=None):
    """Writes fetal_sb's maps (1 mm RAS, FreeSurfer numbering) into out_dir/fetal_maps.npz."""
    maps = load_fetal_maps(data)
    os.makedirs(out_dir, exist_ok=True)
    keys = [m[0].replace("/", "__") for m in maps]  # npz keys are file names
    np.savez_compressed(os.path.join(out_dir, FETAL_PACKED), names=np.array(keys), **{k: m[1] for k, m in zip(keys, maps)})
    return os.path.join(out_dir, FETAL_PACKED)
