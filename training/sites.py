"""The real sites in ../shared/data that have tissue labels, and how to read them onto the model's grid.

The resampling mirrors src/core/volume/grid.ts (modelGrid, resampleLinear/Nearest) and
`model_input` mirrors modelInput in src/core/pipeline/segment.ts (non-finite voxels, the floor,
the contract's percentile normalisation), so an adapter trains on exactly what the app feeds the
model: src/core/pipeline/preprocess-parity.test.ts checks it on the real sample scans
(preprocess_fixture.py writes its fixture).
"""
import os
import nibabel as nib
import numpy as np
from data import DATA
from labels import convention_table, freesurfer_to_tissue, gif_to_tissue
from contract import normalise

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
# The fetal site (issue 23; ../shared/data/fetal_sb, CC0): super-resolved T2 atlas volumes (0.8 mm),
# each with its own parcellation in FeTA numbering (feta-tissue.json: CSF 2, GM 5 6, WM 1 7 8,
# background 0 4, the cerebellum 3 excluded). monitor.py scores three of the 15 (early, mid, late
# gestation) apart from SITES: their mean is the adoption rule's fetal condition (gpu/README.md).
FETAL_SCANS = [(f"fetal_sb/{ga}/srr.nii.gz", f"fetal_sb/{ga}/parcellation.nii.gz")
               for ga in ("GA23_notoperated", "GA28_operated", "GA33_operated")]
TO_TISSUE = {"freesurfer": freesurfer_to_tissue, "gif": gif_to_tissue, "tissue": lambda a: a.astype(np.uint8),
             "feta": convention_table("feta-tissue.json", ["background", "CSF", "GM", "WM"])}


def model_grid(shape, affine, spacing=1.0):
    """RAS grid at `spacing` covering the scan's voxel centres (as modelGrid in grid.ts)."""
    corners = np.array([[i, j, k, 1] for i in (0, shape[0] - 1) for j in (0, shape[1] - 1) for k in (0, shape[2] - 1)]).T
    w = (affine @ corners)[:3]
    lo, hi = w.min(1), w.max(1)
    dims = tuple(int(d) for d in np.floor((hi - lo) / spacing + 1e-3) + 1)
    grid = np.diag([spacing] * 3 + [1.0])
    grid[:3, 3] = lo
    return dims, grid


# resampleLinear's tolerance: a model voxel centre within this many scan voxels outside the scan's
# border voxel centres counts as inside (it reads the border); beyond it gets the fill
BORDER_TOL = 1e-4


def resample(data, affine, dims, grid, order, fill=0.0):
    """Sample `data` (voxel->world `affine`) at every voxel of (dims, grid), slice by slice, as
    resampleLinear (order 1) and resampleNearest (order 0) in grid.ts do: trilinear in float64 on
    the clamped neighbours, `fill` only beyond the border voxel centres (BORDER_TOL); nearest by
    rounding halves up, `fill` outside. (scipy's map_coordinates, used before, filled every point
    past the border even by 1e-5 voxel, which the app reads as the border: up to 0.75 apart there.)"""
    m = np.linalg.inv(affine) @ grid
    shape = np.array(data.shape[:3])
    out = np.empty(dims, np.float32)
    ii, jj = np.meshgrid(np.arange(dims[0]), np.arange(dims[1]), indexing="ij")
    for k in range(dims[2]):
        p = [m[r, 0] * ii + m[r, 1] * jj + (m[r, 2] * k + m[r, 3]) for r in range(3)]
        if order == 0:
            idx = [np.floor(c + 0.5).astype(np.int64) for c in p]
            inside = np.logical_and.reduce([(i >= 0) & (i < n) for i, n in zip(idx, shape)])
            idx = [np.clip(i, 0, n - 1) for i, n in zip(idx, shape)]
            out[:, :, k] = np.where(inside, data[tuple(idx)], fill)
            continue
        inside = np.logical_and.reduce([(c >= -BORDER_TOL) & (c <= n - 1 + BORDER_TOL) for c, n in zip(p, shape)])
        lo = [np.clip(np.floor(c), 0, n - 1).astype(np.int64) for c, n in zip(p, shape)]
        hi = [np.minimum(i + 1, n - 1) for i, n in zip(lo, shape)]
        fx, fy, fz = [np.clip(c - i, 0, 1) for c, i in zip(p, lo)]
        (x0, y0, z0), (x1, y1, z1) = lo, hi
        v00 = data[x0, y0, z0] * (1 - fx) + data[x1, y0, z0] * fx
        v01 = data[x0, y1, z0] * (1 - fx) + data[x1, y1, z0] * fx
        v10 = data[x0, y0, z1] * (1 - fx) + data[x1, y0, z1] * fx
        v11 = data[x0, y1, z1] * (1 - fx) + data[x1, y1, z1] * fx
        out[:, :, k] = np.where(inside, (v00 * (1 - fy) + v01 * fy) * (1 - fz) + (v10 * (1 - fy) + v11 * fy) * fz, fill)
    return out


def finite_scan(data):
    """finiteScan in segment.ts: non-finite voxels replaced by the mean of their finite face
    neighbours, else by the scan's finite minimum. Returns (data, floor: that minimum, replaced)."""
    ok = np.isfinite(data)
    floor = float(data[ok].min()) if ok.any() else 0.0
    replaced = int(data.size - ok.sum())
    if not replaced:
        return data, floor, 0
    vals = np.where(ok, data, 0).astype(np.float64)
    total, count = np.zeros(data.shape), np.zeros(data.shape)
    for ax in range(3):
        for a, b in ((slice(1, None), slice(None, -1)), (slice(None, -1), slice(1, None))):
            dst, src = [slice(None)] * 3, [slice(None)] * 3
            dst[ax], src[ax] = a, b
            total[tuple(dst)] += vals[tuple(src)]
            count[tuple(dst)] += ok[tuple(src)]
    out = data.astype(np.float32)
    bad = ~ok
    out[bad] = np.where(count[bad] > 0, total[bad] / np.maximum(count[bad], 1), floor)
    return out, floor, replaced


def model_input(data, affine):
    """modelInput in segment.ts: the scan on the model grid, normalised as the manifest says. The
    percentiles are over the resampled voxels above the scan's finite minimum, taken as the app
    takes them: an even stride, in its x-fastest voxel order, through at most MAX_SAMPLE of them.
    Returns image, foreground (resampled above that minimum), dims, grid, floor, replaced and
    resampled (before normalising)."""
    dims, grid = model_grid(data.shape, affine)
    data, floor, replaced = finite_scan(data)
    resampled = resample(data, affine, dims, grid, order=1, fill=floor)
    # contract.normalise strides in C order: give it the [z, y, x] view, the app's voxel order
    image = np.ascontiguousarray(normalise(np.ascontiguousarray(resampled.T), floor=floor).T)
    return {"image": image, "foreground": resampled > floor, "dims": dims, "grid": grid, "floor": floor,
            "replaced": replaced, "resampled": resampled}


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
    m = model_input(data, img.affine)
    image, dims, grid = m["image"], m["dims"], m["grid"]
    tissue = TO_TISSUE[convention](np.asanyarray(ref.dataobj).astype(np.int64))
    labels = resample(tissue.astype(np.float32), ref.affine, dims, grid, order=0).astype(np.int64)
    return {"image": image, "labels": labels, "grid": grid, "scan_shape": data.shape, "scan_affine": img.affine}


def model_slice_of(scan_affine, axis, index, scan_shape, grid):
    """Model-grid axial index nearest the centre of scan slice `index` along `axis`."""
    centre = [(n - 1) / 2 for n in scan_shape]
    centre[axis] = index
    z = (scan_affine @ np.array([*centre, 1.0]))[2]
    return int(round((z - grid[2, 3]) / grid[2, 2]))
