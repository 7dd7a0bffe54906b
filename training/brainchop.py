"""A peer for comparison (not shipped): brainchop's "Tissue GWM (light)" MeshNet, re-run in PyTorch.

brainchop (github.com/neuroneural/brainchop) runs `public/models/model5_gw_ae` in the browser, a tf.js
layers model: nine 3x3x3 Conv3D of 5 filters (dilations 1,2,4,8,16,8,4,2,1) with ReLU, then 1x1x1
to 0 background, 1 white matter, 2 grey matter (colormap3.json). model.json and weights are read at
run time from a brainchop checkout (bare git mirror or folder), never copied here. Its pipeline
(main.js, inference-logic.js, tensor-utils.js, bwlabels.js, niivue 0.62 conform), repeated here:
1. A scan already 256^3 uint8 LIA is used as stored; any other goes through niivue's conform: scale
   factor applied, trilinear reslice to 256^3 1 mm LIA centred on the scan, then uint8: a uint8
   scan keeps its scaled values minus their minimum, truncated (the SPM templates, uint8 with a 1/255
   scale factor, become all zero: no segmentation), other types are scaled 0..255 between the
   minimum and niivue's 99.9% histogram limit (min and max of the central half of each axis).
2. Min-max to 0..1, crop to the non-zero box + 18 voxels, the model, argmax, back into the cube,
   the largest 26-connected cluster of brain kept (brainchop's default post-processing).
Scans stored with a scale factor also run as "raw bytes" (stored values, as if there were none).
Dice (GM, WM) on the reference's grid (mask read onto it by nearest neighbour through the affines,
all its voxels), and on the scan's grid as the app scores (reference read onto it, only where it
covers the scan: src/core/metrics/evaluate.ts). Approximations: float32 on the CPU where brainchop
uses WebGL float16 textures (float16 emulated here moved Dice by <= 0.001 on niivue-t1, fpg-t2);
MGZ affines from nibabel (the only MGZ is already conformed, never resliced); ties as numpy's.

  nice /usr/bin/python3 training/brainchop.py                 # ~1 min in all, one thread
  nice /usr/bin/python3 training/brainchop.py --scans niivue-t1 fpg-t2
  nice /usr/bin/python3 training/brainchop.py --scan NAME IMAGE REFERENCE freesurfer|gif|tissue
Prints a markdown table; writes training/out/brainchop.json.
"""
import argparse, json, os, subprocess, time
import nibabel as nib
import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage
from data import DATA
from labels import EXCLUDED, convention_table, freesurfer_to_tissue, gif_to_tissue

MODEL = "/work/.mirror/neuroneural+brainchop/repo:public/models/model5_gw_ae"
CROP_PADDING = 18  # brainchop-parameters.js, model id 1
SCANS = {  # name -> image, reference, its convention (relative to ../shared/data)
    "niivue-t1": ("niivue_fs/norm.mgz", "niivue_fs/aparc.a2009s+aseg.mgz", "freesurfer"),
    "spm-t1": ("spm152/avg152T1.nii", "spm152/tissue.nii.gz", "tissue"),
    "spm-t2": ("spm152/avg152T2.nii", "spm152/tissue.nii.gz", "tissue"),
    "fpg-t2": ("torchio_fpg/t2.nii.gz", "torchio_fpg/t1_seg_gif.nii.gz", "gif"),
}
# the fetal site's 15 volumes (super-resolved T2, 0.8 mm, brain-masked; FeTA labels, the cerebellum
# excluded as the app scores them): every other scan in ../shared/data with a GM/WM reference
FETAL = {f"fetal-{c}": (f"fetal_sb/{c}/srr.nii.gz", f"fetal_sb/{c}/parcellation.nii.gz", "feta") for c in
         [f"GA{a}_notoperated" for a in range(21, 26)] + [f"GA{a}_operated" for a in range(25, 35)]}
TO_TISSUE = {"freesurfer": freesurfer_to_tissue, "gif": gif_to_tissue, "tissue": lambda a: a.astype(np.uint8),
             "feta": convention_table("feta-tissue.json")}
ACTIVATIONS = {"relu": F.relu, "elu": F.elu, "sigmoid": torch.sigmoid, "linear": lambda t: t}


def load_meshnet(source):
    """The tf.js layers model as a list of torch functions. source: 'bare-git-dir:folder' or a folder."""
    repo, _, folder = source.rpartition(":") if ":" in source else ("", "", source)
    def read(name):
        if repo:
            return subprocess.run(["git", "-C", repo, "show", f"HEAD:{folder}/{name}"], check=True, capture_output=True).stdout
        with open(os.path.join(folder, name), "rb") as f:
            return f.read()
    spec, weights = json.loads(read("model.json")), {}
    for group in spec["weightsManifest"]:  # float32 little-endian, in manifest order
        buf, offset = b"".join(read(p) for p in group["paths"]), 0
        for w in group["weights"]:
            assert w["dtype"] == "float32", w
            n = int(np.prod(w["shape"]))
            weights[w["name"]] = torch.from_numpy(np.frombuffer(buf, "<f4", n, offset).reshape(w["shape"]).copy())
            offset += 4 * n
    layers, steps = spec["modelTopology"]["model_config"]["config"]["layers"], []
    for prev, layer in zip(layers, layers[1:]):
        cls, cfg, name = layer["class_name"], layer["config"], layer["name"]
        assert [n[0] for n in layer["inbound_nodes"][0]] == [prev["name"]], "only a plain chain of layers"
        if cls == "Conv3D":  # 'same' padding, channels last: kernel [d,h,w,in,out] -> [out,in,d,h,w]
            assert cfg["padding"] == "same" and cfg["strides"] == [1, 1, 1] and cfg["data_format"] == "channels_last"
            kernel = weights[name + "/kernel"].permute(4, 3, 0, 1, 2).contiguous()
            pad = [d * (k - 1) // 2 for d, k in zip(cfg["dilation_rate"], cfg["kernel_size"])]
            steps.append(lambda t, k=kernel, b=weights.get(name + "/bias"), p=pad, d=cfg["dilation_rate"]: F.conv3d(t, k, b, padding=p, dilation=d))
            steps.append(ACTIVATIONS[cfg["activation"]])
        elif cls == "Activation":
            steps.append(ACTIVATIONS[cfg["activation"]])
        elif cls == "BatchNormalization":
            g, b, m, v = (weights[f"{name}/{k}"] for k in ("gamma", "beta", "moving_mean", "moving_variance"))
            steps.append(lambda t, g=g, b=b, m=m, v=v, e=cfg["epsilon"]: F.batch_norm(t, m, v, g, b, False, 0.0, e))
        else:
            raise ValueError(f"layer {cls} not handled")
    return steps


def read_scan(path, raw_bytes=False):
    """What niivue holds: stored values, scale factor and offset (1, 0 with raw_bytes), affine."""
    img = nib.load(path)
    data = np.asanyarray(img.dataobj.get_unscaled())
    data = data[..., 0] if data.ndim == 4 else data
    slope, inter = float(getattr(img.dataobj, "slope", 1.0)), float(getattr(img.dataobj, "inter", 0.0))
    if raw_bytes or not np.isfinite(slope) or slope == 0:
        slope, inter = 1.0, 0.0
    affine = img.affine
    if isinstance(img, nib.Nifti1Image):  # niivue: the sform unless the qform's code is higher
        h = img.header
        affine = h.get_qform() if h["qform_code"] > h["sform_code"] else h.get_sform()
    return data, slope, inter if np.isfinite(inter) else 0.0, affine


def reslice(img, affine):
    """The 256^3 1 mm LIA grid centred on the scan (FreeSurfer's conform) and img on it as niivue
    reslices: trilinear, a voxel only where floor >= 0 and ceil < dim on every axis, else 0."""
    mdc = np.array([[-1.0, 0, 0], [0, 0, 1], [0, -1, 0]])
    grid = np.eye(4)
    grid[:3, :3] = mdc
    grid[:3, 3] = (affine @ [*(np.array(img.shape) / 2), 1])[:3] - mdc @ [128, 128, 128]
    to_in, dims, flat = np.linalg.inv(affine) @ grid, np.array(img.shape), img.ravel(order="F")
    out = np.zeros((256, 256, 256), np.float32)
    x, y = np.meshgrid(np.arange(256.0), np.arange(256.0), indexing="ij")
    for z in range(256):
        p = np.einsum("ij,jxy->ixy", to_in[:3], np.stack([x, y, np.full_like(x, z), np.ones_like(x)]))
        f = np.floor(p)
        ok = (f >= 0).all(0) & (np.ceil(p) < dims[:, None, None]).all(0)
        f, r = f[:, ok].astype(np.int64), p[:, ok] - f[:, ok]
        val = np.zeros(ok.sum())
        for corner in np.ndindex(2, 2, 2):
            ix = [np.minimum(f[a] + c, dims[a] - 1) for a, c in enumerate(corner)]
            w = np.prod([r[a] if c else 1 - r[a] for a, c in enumerate(corner)], axis=0)
            val += w * flat[ix[0] + dims[0] * (ix[1] + dims[1] * ix[2])]
        out[:, :, z][ok] = val
    return out, grid


def conform(data, slope, inter, affine):
    """niivue 0.62 Niivue.conform(vol, toRAS=false, isLinear=true): uint8 256^3 volume and its affine."""
    img = (data.astype(np.float64) * slope + inter).astype(np.float32)
    out, grid = reslice(img, affine)
    b = [d // 4 for d in data.shape]  # calMinMax: central half of each axis
    core = img[b[0]:data.shape[0] - b[0], b[1]:data.shape[1] - b[1], b[2]:data.shape[2] - b[2]]
    lo, hi, scale = float(core.min()), float(core.max()), 1.0
    if data.dtype != np.uint8:  # getScale(f_high=0.999) ("uint8 is not transformed"): 1000-bin histogram
        v = img.ravel().astype(np.float64)
        bins = np.minimum(np.floor((v - lo) / ((hi - lo) / 1000)), 999)
        cs = np.cumsum(np.bincount(bins[bins >= 0].astype(np.int64), minlength=1000))
        nth = v.size - int(np.floor((1.0 - 0.999) * np.count_nonzero(np.abs(v) >= 1e-15)))
        idx = next((i for i in range(999) if cs[i + 1] >= nth), 999)
        scale = 255 / (idx * (hi - lo) / 1000) if idx else 1.0
    return np.clip(scale * (out.astype(np.float64) - lo), 0, 255).astype(np.uint8), grid


def brainchop(steps, vol8, postprocess=True):
    """runFullVolumeInference on a conformed uint8 volume: labels 0 bg, 1 WM, 2 GM."""
    t, labels = vol8.astype(np.float32), np.zeros(vol8.shape, np.uint8)
    if t.max() == t.min():  # 0/0 in tf.js: nothing to crop to, no segmentation
        return labels
    t = (t - t.min()) / (t.max() - t.min())
    box = []
    for axis in range(3):  # cropAndGetCorner: first/last non-zero, padded, clamped to 0..255
        nz = np.flatnonzero((t > 0).any(tuple(a for a in range(3) if a != axis)))
        box.append(slice(max(0, nz[0] - CROP_PADDING), min(255, nz[-1] + CROP_PADDING) + 1))
    # brainchop's [z,y,x] tensor, transposed for the model, is nibabel's [x,y,z]: no transposition here
    x = torch.from_numpy(np.ascontiguousarray(t[tuple(box)]))[None, None]
    with torch.no_grad():
        for step in steps:
            x = step(x)
    labels[tuple(box)] = x[0].argmax(0).numpy()
    if postprocess:  # BWLabeler(26, binarize, onlyLargestClusterPerClass)
        cc, n = ndimage.label(labels > 0, structure=np.ones((3, 3, 3)))
        if n > 1:
            labels[cc != 1 + np.argmax(np.bincount(cc.ravel())[1:])] = 0
    return labels


def nearest(labels, affine, shape, target_affine):
    """labels (voxel->world `affine`) on the grid (shape, target_affine) by nearest neighbour, and
    where that grid lies inside labels' volume."""
    m = np.linalg.inv(affine) @ target_affine
    out, inside = np.zeros(shape, labels.dtype), np.zeros(shape, bool)
    i, j = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), indexing="ij")
    for k in range(shape[2]):
        p = np.floor(np.einsum("ij,jxy->ixy", m[:3], np.stack([i, j, np.full_like(i, k), np.ones_like(i)])) + 0.5).astype(np.int64)
        ok = inside[:, :, k] = ((p >= 0) & (p < np.array(labels.shape)[:, None, None])).all(0)
        out[:, :, k][ok] = labels[p[0][ok], p[1][ok], p[2][ok]]
    return out, inside


def scores(pred, truth):
    """GM and WM Dice of two tissue maps (0 bg, 1 CSF, 2 GM, 3 WM); voxels the reference excludes
    (EXCLUDED: the fetal cerebellum) count in neither."""
    pred = np.where(truth == EXCLUDED, 0, pred)
    return {c: float(2 * np.sum((pred == k) & (truth == k)) / max(1, np.sum(pred == k) + np.sum(truth == k))) for c, k in (("gm", 2), ("wm", 3))}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scans", nargs="*", default=list(SCANS), help=f"a subset of {list(SCANS)}")
    ap.add_argument("--scan", nargs=4, action="append", default=[], metavar=("NAME", "IMAGE", "REFERENCE", "CONVENTION"),
                    help="one more scan (paths absolute or relative to the data folder)")
    ap.add_argument("--model", default=MODEL, help="'bare-git-dir:folder' or a folder with model.json and its shards")
    ap.add_argument("--no-postprocess", action="store_true", help="skip the largest-cluster step (on in brainchop)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out", "brainchop.json"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    scans = {**{s: SCANS[s] for s in args.scans}, **{n: (i, r, c) for n, i, r, c in args.scan}}
    steps, rows = load_meshnet(args.model), []
    for name, (image, reference, convention) in scans.items():
        ref = nib.load(os.path.join(DATA, reference))
        ref_affine = read_scan(os.path.join(DATA, reference))[3]
        truth = TO_TISSUE[convention](np.asanyarray(ref.dataobj))
        scaled = read_scan(os.path.join(DATA, image))[1:3] != (1.0, 0.0)
        for variant in ["brainchop"] + ["raw bytes"] * scaled:
            start = time.time()
            data, slope, inter, affine = read_scan(os.path.join(DATA, image), raw_bytes=variant == "raw bytes")
            conformed = data.shape == (256,) * 3 and data.dtype == np.uint8 and nib.aff2axcodes(affine) == ("L", "I", "A")
            vol8, grid = (data, affine) if conformed else conform(data, slope, inter, affine)
            labels = brainchop(steps, vol8, postprocess=not args.no_postprocess)
            tissue = np.array([0, 3, 2], np.uint8)[labels]  # brainchop 1 WM, 2 GM -> 3 WM, 2 GM
            truth_on_scan, covered = nearest(truth, ref_affine, data.shape, affine)
            rows.append({"scan": name, "variant": variant, "image": image, "reference": reference, "resliced": not conformed,
                         **scores(nearest(tissue, grid, truth.shape, ref_affine)[0], truth),
                         "on_scan_grid": scores(nearest(tissue, grid, data.shape, affine)[0] * covered, truth_on_scan),
                         "voxels": {"wm": int((labels == 1).sum()), "gm": int((labels == 2).sum())}, "seconds": round(time.time() - start, 1)})
            print(f"{name} ({variant}): GM {rows[-1]['gm']:.3f} WM {rows[-1]['wm']:.3f}, {rows[-1]['seconds']} s", flush=True)
    print("\n| scan | variant | GM Dice | WM Dice | GM / WM on the scan's grid |\n| --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['scan']} | {r['variant']} | {r['gm']:.3f} | {r['wm']:.3f} | {r['on_scan_grid']['gm']:.3f} / {r['on_scan_grid']['wm']:.3f} |")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"model": args.model, "postprocess": not args.no_postprocess, "results": rows}, f, indent=1)


if __name__ == "__main__":
    main()
