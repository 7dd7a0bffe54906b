"""sites.py's model input (the scan on the model grid, normalised) on the app's two real sample
scans, for src/core/pipeline/preprocess-parity.test.ts: writes parity/preprocess.json.

  /usr/bin/python3 preprocess_fixture.py

Adapters are trained and sites are monitored on what sites.py makes of a scan, so it must be what
the app feeds the model (modelInput in src/core/pipeline/segment.ts). Per scan the fixture holds
the model grid, the foreground count, summary statistics and the model input at a few thousand
fixed voxels, seeded and drawn by stratum so that the voxels where the two could part are well
represented: the edge of the foreground, the model voxels near the scan's border (on either side,
and those just outside its border voxel centres that the app still reads as the border), the grid's
faces; then the bulk of the brain and the background. Rerun after changing sites.py or the
manifest's preprocessing; the TypeScript test fails until then.
"""
import json, os
import nibabel as nib
import numpy as np
import torch
from contract import PERCENTILES, PREPROCESS, percentiles_above
from sites import BORDER_TOL, SAMPLES, model_input

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240607
# the real scans among the app's samples (public/samples/index.json)
SCANS = ["niivue-t1", "fpg-t2"]
# voxels drawn per stratum (at most; a stratum with fewer gives them all)
PER_STRATUM = {"scan_border_tol": 300, "scan_just_outside": 200, "scan_edge_inside": 700, "grid_face": 300,
               "foreground_edge": 1000, "foreground": 600, "background": 250, "outside": 100}
# |TypeScript - Python| allowed per voxel: both interpolate in float64 and store float32, so they
# agree to a few float32 ulps (measured 6e-8); the rest is headroom, far below any real difference
TOLERANCE = 1e-5


def scan_depth(dims, grid, affine, shape):
    """Per model voxel, how deep its centre lies inside the scan's box of voxel centres, in scan
    voxels: min over axes of min(c, n - 1 - c) for its continuous scan index c (negative outside)."""
    m = np.linalg.inv(affine) @ grid
    ii, jj = np.meshgrid(np.arange(dims[0]), np.arange(dims[1]), indexing="ij")
    out = np.empty(dims)
    for k in range(dims[2]):
        p = [m[r, 0] * ii + m[r, 1] * jj + (m[r, 2] * k + m[r, 3]) for r in range(3)]
        out[:, :, k] = np.min([np.minimum(c, n - 1 - c) for c, n in zip(p, shape)], axis=0)
    return out


def strata(fg, depth):
    """Boolean masks of the model grid, one per stratum (they may overlap; drawn in this order, no repeats)."""
    pad = np.pad(fg, 1)  # foreground voxels whose 6 neighbours are all foreground (none beyond the grid)
    inner = fg.copy()
    for ax in range(3):
        for a, b in ((0, -2), (2, None)):
            idx = [slice(1, -1)] * 3
            idx[ax] = slice(a, b)
            inner &= pad[tuple(idx)]
    face = np.zeros(fg.shape, bool)
    for ax in range(3):
        idx = [slice(None)] * 3
        for end in (0, -1):
            idx[ax] = end
            face[tuple(idx)] = True
    return {
        "scan_border_tol": (depth < 0) & (depth >= -BORDER_TOL),
        "scan_just_outside": (depth < -BORDER_TOL) & (depth > -1),
        "scan_edge_inside": (depth >= 0) & (depth < 1.5),
        "grid_face": face,
        "foreground_edge": fg & ~inner,
        "foreground": inner,
        "background": ~fg & (depth >= 0),
        "outside": depth <= -1,
    }


def fixture_for(site, rng):
    img = nib.load(os.path.join(SAMPLES, site["image"]))
    data = np.asanyarray(img.dataobj).astype(np.float32)
    if data.ndim == 4:
        data = data[..., 0]
    m = model_input(data, img.affine)
    image, fg, dims = m["image"], m["foreground"], m["dims"]
    depth = scan_depth(dims, m["grid"], img.affine, data.shape)
    lo, hi = percentiles_above(torch.from_numpy(np.ascontiguousarray(m["resampled"].T)), m["floor"], PERCENTILES)
    taken = np.zeros(dims, bool)
    out = {}
    for name, mask in strata(fg, depth).items():
        cand = np.flatnonzero((mask & ~taken).ravel(order="F"))  # the app's voxel order: x fastest
        pick = np.sort(rng.choice(cand, min(PER_STRATUM[name], cand.size), replace=False)) if cand.size else cand
        taken[np.unravel_index(pick, dims, order="F")] = True
        values = image.ravel(order="F")[pick]
        out[name] = {"available": int(cand.size), "index": pick.tolist(), "value": [float(repr(v)) for v in values]}
    return {
        "id": site["id"], "image": site["image"], "scanDims": list(data.shape),
        "dims": list(dims), "affine": [float(v) for v in m["grid"].ravel()],
        "floor": m["floor"], "foreground": int(fg.sum()), "percentiles": [lo, hi],
        "mean": float(image.astype(np.float64).mean()),
        "atZero": int((image == 0).sum()), "atOne": int((image == 1).sum()),
        "strata": out,
    }


def main():
    index = json.load(open(os.path.join(SAMPLES, "index.json"), encoding="utf-8"))
    sites = {s["id"]: s for s in index["sites"]}
    rng = np.random.default_rng(SEED)
    scans = []
    for sid in SCANS:
        scans.append(fixture_for(sites[sid], rng))
        s = scans[-1]
        print(sid, "grid", s["dims"], "foreground", s["foreground"], "percentiles", s["percentiles"],
              {k: f'{len(v["index"])}/{v["available"]}' for k, v in s["strata"].items()}, flush=True)
    path = os.path.join(HERE, "parity", "preprocess.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"about": "sites.py's model input on the real sample scans (training/preprocess_fixture.py); "
                   "indices are flat voxel indices of the model grid, x fastest",
                   "seed": SEED, "preprocess": PREPROCESS, "tolerance": TOLERANCE, "scans": scans}, f, separators=(",", ":"))
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
