"""The real sites in ../shared/data that have tissue labels, and how to read them onto the model's grid.

The resampling mirrors src/core/volume/grid.ts (modelGrid, resampleLinear/Nearest) and the
normalisation mirrors the manifest's percentile step, so an adapter trains on exactly what the
app feeds the model.
"""
import os
import nibabel as nib
import numpy as np
from scipy.ndimage import map_coordinates
from data import DATA
from labels import freesurfer_to_tissue, gif_to_tissue
from synth import normalise

# name -> images (same site, same reference grid), reference label, its convention
SITES = {
    "niivue-t1": {"images": ["niivue_fs/norm.mgz"], "label": "niivue_fs/aparc.a2009s+aseg.mgz", "convention": "freesurfer",
                  "description": "FreeSurfer-conformed T1 (norm.mgz), FreeSurfer reference"},
    "fpg-t2": {"images": ["torchio_fpg/t2.nii.gz"], "label": "torchio_fpg/t1_seg_gif.nii.gz", "convention": "gif",
               "description": "Thick-slice T2 (0.75×0.75×5.5 mm), GIF parcellation made on the T1"},
    "spm152": {"images": ["spm152/avg152T1.nii", "spm152/avg152T2.nii"], "label": "spm152/tissue.nii.gz", "convention": "tissue",
               "description": "SPM152 T1 and T2 templates (2 mm), tissue priors' argmax (all CSF marked)"},
}
# The app's synthetic sample sites (public/samples, made by samples.py from the niivue_fs label
# map): paths relative to SAMPLES. Kept apart from SITES, the real scans that monitor.py scores.
SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "public", "samples")
SAMPLE_SITES = {
    "synth-pd": {"root": SAMPLES, "images": ["synth-pd/pd.nii.gz"], "label": "synth-pd/pd_seg.nii.gz", "convention": "freesurfer",
                 "description": "Synthetic PD-like sample (public/samples): 3 mm axial slices, strong bias field, FreeSurfer reference"},
    "synth-flair": {"root": SAMPLES, "images": ["synth-flair/flair.nii.gz"], "label": "synth-flair/flair_seg.nii.gz", "convention": "freesurfer",
                    "description": "Synthetic FLAIR-like sample (public/samples): 1 mm, low GM/WM contrast, strong noise, FreeSurfer reference"},
}
ALL_SITES = {**SITES, **SAMPLE_SITES}
TO_TISSUE = {"freesurfer": freesurfer_to_tissue, "gif": gif_to_tissue, "tissue": lambda a: a.astype(np.uint8)}


def model_grid(shape, affine, spacing=1.0):
    """RAS grid at `spacing` covering the scan's voxel centres (as modelGrid in grid.ts)."""
    corners = np.array([[i, j, k, 1] for i in (0, shape[0] - 1) for j in (0, shape[1] - 1) for k in (0, shape[2] - 1)]).T
    w = (affine @ corners)[:3]
    lo, hi = w.min(1), w.max(1)
    dims = tuple(int(d) for d in np.floor((hi - lo) / spacing + 1e-3) + 1)
    grid = np.diag([spacing] * 3 + [1.0])
    grid[:3, 3] = lo
    return dims, grid


def resample(data, affine, dims, grid, order, fill=0.0):
    """Sample `data` (voxel->world `affine`) at every voxel of (dims, grid), slice by slice."""
    m = np.linalg.inv(affine) @ grid
    out = np.empty(dims, np.float32)
    ii, jj = np.meshgrid(np.arange(dims[0]), np.arange(dims[1]), indexing="ij")
    for k in range(dims[2]):
        pts = np.stack([ii, jj, np.full_like(ii, k), np.ones_like(ii)]).reshape(4, -1)
        src = (m @ pts)[:3]
        out[:, :, k] = map_coordinates(data, src, order=order, mode="constant", cval=fill).reshape(dims[:2])
    return out


def through_plane_axis(affine):
    """The scan's voxel axis closest to superior-inferior (its axial slices)."""
    return int(np.argmax(np.abs(affine[2, :3]) / np.linalg.norm(affine[:3, :3], axis=0)))


def load_site_volume(image_rel, label_rel, convention, root=DATA):
    """Image normalised and tissue labels, both on the model grid, plus the scan's geometry."""
    img = nib.load(os.path.join(root, image_rel))
    ref = nib.load(os.path.join(root, label_rel))
    data = np.asanyarray(img.dataobj).astype(np.float32)
    if data.ndim == 4:
        data = data[..., 0]
    dims, grid = model_grid(data.shape, img.affine)
    floor = float(data.min())
    image = normalise(resample(data, img.affine, dims, grid, order=1, fill=floor))
    tissue = TO_TISSUE[convention](np.asanyarray(ref.dataobj).astype(np.int64))
    labels = resample(tissue.astype(np.float32), ref.affine, dims, grid, order=0).astype(np.int64)
    return {"image": image, "labels": labels, "grid": grid, "scan_shape": data.shape, "scan_affine": img.affine}


def model_slice_of(scan_affine, axis, index, scan_shape, grid):
    """Model-grid axial index nearest the centre of scan slice `index` along `axis`."""
    centre = [(n - 1) / 2 for n in scan_shape]
    centre[axis] = index
    z = (scan_affine @ np.array([*centre, 1.0]))[2]
    return int(round((z - grid[2, 3]) / grid[2, 2]))
