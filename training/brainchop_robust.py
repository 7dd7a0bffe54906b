"""A peer for comparison (not shipped): brainchop's `robust_tissue` ("Tissue GWM", SAE-16), re-run in PyTorch.

The weights are neuroneural/brainchop-models `sae/robust_tissue/model.pth` (a plain PyTorch state dict,
"model_sae_16_fused", 889 kB), read at run time from a bare git mirror or a file, never copied here.
The network is built from the state dict's shapes and a standalone runner `sae_forward.py` (SAENet,
found in public code; not in the brainchop, brainchop-models or brainchop-cli mirrors): 3x3x3 convs with SiLU after each, no normalisation layers:
  encoder 1->16->16->16->16->16 (dilations 1,2,4,6,8), a stride-2 conv 16->32 (256^3 -> 128^3),
  bottleneck 32 x5 (dilations 10,12,16,12,10), ConvTranspose 32->16 (kernel 2, stride 2, no activation),
  decoder 16 x5 (dilations 8,6,4,2,1), then 1x1x1 to 3 classes; padding = dilation everywhere.
Pipeline (brainchop web app's model entry "Tissue GWM", webgpu_runner robust_tissue: no crop,
enableQuantileNorm; sae_forward.py: bwlabel after argmax), repeated here:
1. The scan conformed exactly as training/brainchop.py does (niivue 0.62 conform to 256^3 uint8 LIA;
   a scan already conformed is used as stored; scans with a scale factor also run as "raw bytes").
2. The whole 256^3 volume at once, in nibabel's [x,y,z] order (sae_forward.py permutes brainchop's
   Volume data (2,1,0) first; which order that yields was not checked in brainchop's loader, so it was
   measured: the [z,y,x] order of the tf.js tensor gives GM/WM 0.73/0.77 on niivue-t1 against
   0.85/0.90), quantile-normalised as tensor-utils.js quantileNormalizeVolumeData does: sort all
   voxels, qmin at floor(0.05 n), qmax at ceil(0.95 n) - 1, (v - qmin) / (qmax - qmin), no clipping
   (qmax == qmin, as on a conform that zeroes the scan: no segmentation).
3. The network, argmax; the largest 26-connected cluster of brain kept (as brainchop.py).
Labels: 0 background, 1 GM, 2 WM. Not read from a colormap (the web app's model_sae16ch3_tfjs is not in
the mirrors): measured; the other order (1 WM, 2 GM, as model5_gw_ae) scores GM/WM 0.05/0.11 on
niivue-t1, and the script reports Dice with 1 and 2 swapped so a wrong order shows.
Not repeated: the web app's test-time flip (ttaFlipAxis), its outputShift [0,0,1], its autoThreshold
0.2 mask, float16. Scored with training/brainchop.py's functions (reference grid and scan grid).

  nice /usr/bin/python3 training/brainchop_robust.py            # ~1 min per scan, one thread, 3.5 GB peak
  nice /usr/bin/python3 training/brainchop_robust.py --scans niivue-t1 fpg-t2
Prints a markdown table; writes training/out/brainchop_robust.json.
"""
import argparse, io, json, os, subprocess, time
import nibabel as nib
import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage
from brainchop import DATA, FETAL, SCANS, TO_TISSUE, conform, nearest, read_scan, scores

MODEL = "/work/.mirror/neuroneural+brainchop-models/repo:sae/robust_tissue/model.pth"
DILATION = {0: 1, 2: 2, 4: 4, 6: 6, 8: 8, 10: 1, 12: 10, 14: 12, 16: 16, 18: 12, 20: 10,
            22: 1, 23: 8, 25: 6, 27: 4, 29: 2, 31: 1, 33: 1}  # sae_forward.py DILATION_SCHEDULE
DOWN, UP = 10, 22


def load_state(source):
    """The state dict from 'bare-git-dir:path' or a file."""
    repo, _, path = source.rpartition(":") if ":" in source else ("", "", source)
    if repo:
        blob = subprocess.run(["git", "--git-dir", repo, "show", f"HEAD:{path}"], check=True, capture_output=True).stdout
        assert not blob.startswith(b"version https://git-lfs"), "an LFS pointer, not the weights"
        return torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    return torch.load(path, map_location="cpu", weights_only=True)


def sae(state, x):
    """SAENet forward on x (1,1,D,H,W): logits (1,3,D,H,W)."""
    idx = sorted({int(k.split(".")[0]) for k in state})
    assert idx == sorted(DILATION), idx
    for i in idx:
        w, b, d = state[f"{i}.weight"], state[f"{i}.bias"], DILATION[i]
        if i == UP:
            x = F.conv_transpose3d(x, w, b, stride=2)
            continue
        x = F.conv3d(x, w, b, stride=2 if i == DOWN else 1, padding=d if w.shape[2] == 3 else 0, dilation=d)
        if i != idx[-1]:
            x = F.silu(x)
    return x


def qnormalize(t, lo=0.05, hi=0.95, nonzero=False):
    s = np.sort(t[t > 0] if nonzero else t.ravel())
    qmin, qmax = float(s[int(np.floor(s.size * lo))]), float(s[int(np.ceil(s.size * hi)) - 1])
    return (t - qmin) / (qmax - qmin) if qmax > qmin else None, (qmin, qmax)


def robust_tissue(state, vol8, postprocess=True, nonzero=False):
    """Labels 0 bg, 1 GM, 2 WM on the conformed volume, and the quantiles used (`nonzero`: of the
    voxels above 0 only, not brainchop's rule: a hand given to the peer where the brain fills under
    5% of the conformed volume and its quantiles are both 0)."""
    t, q = qnormalize(vol8.astype(np.float32), nonzero=nonzero)
    if t is None:  # 0/0: no segmentation
        return np.zeros(vol8.shape, np.uint8), q
    with torch.no_grad():
        logits = sae(state, torch.from_numpy(np.ascontiguousarray(t, np.float32))[None, None])
    labels = logits[0].argmax(0).numpy().astype(np.uint8)
    del logits
    if postprocess:  # largest 26-connected cluster of brain, as training/brainchop.py
        cc, n = ndimage.label(labels > 0, structure=np.ones((3, 3, 3)))
        if n > 1:
            labels[cc != 1 + np.argmax(np.bincount(cc.ravel())[1:])] = 0
    return labels, q


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scans", nargs="*", default=list(SCANS), help=f"a subset of {list(SCANS)}, or 'fetal' (the 15 fetal_sb volumes), or fetal-GA.. names")
    ap.add_argument("--model", default=MODEL, help="'bare-git-dir:path' or a .pth file")
    ap.add_argument("--no-raw-bytes", action="store_true", help="skip the raw-bytes run of scans with a scale factor")
    ap.add_argument("--no-postprocess", action="store_true", help="skip the largest-cluster step")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--nonzero-quantiles", action="store_true", help="quantiles of the non-zero voxels (not brainchop's rule; see robust_tissue)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out", "brainchop_robust.json"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    state, rows = load_state(args.model), []
    names = [n for a in args.scans for n in (list(FETAL) if a == "fetal" else [a])]
    for name in names:
        image, reference, convention = {**SCANS, **FETAL}[name]
        ref = nib.load(os.path.join(DATA, reference))
        ref_affine = read_scan(os.path.join(DATA, reference))[3]
        truth = TO_TISSUE[convention](np.asanyarray(ref.dataobj))
        scaled = read_scan(os.path.join(DATA, image))[1:3] != (1.0, 0.0)
        for variant in ["brainchop"] + ["raw bytes"] * (scaled and not args.no_raw_bytes):
            start = time.time()
            data, slope, inter, affine = read_scan(os.path.join(DATA, image), raw_bytes=variant == "raw bytes")
            conformed = data.shape == (256,) * 3 and data.dtype == np.uint8 and nib.aff2axcodes(affine) == ("L", "I", "A")
            vol8, grid = (data, affine) if conformed else conform(data, slope, inter, affine)
            t0 = time.time()
            labels, q = robust_tissue(state, vol8, postprocess=not args.no_postprocess, nonzero=args.nonzero_quantiles)
            seconds_model = time.time() - t0
            truth_on_scan, covered = nearest(truth, ref_affine, data.shape, affine)
            row = {"scan": name, "variant": variant + (", non-zero quantiles" if args.nonzero_quantiles else ""), "image": image, "reference": reference, "resliced": not conformed,
                   "quantiles": q}
            for key, lut in (("", [0, 2, 3]), ("swapped_", [0, 3, 2])):  # 1 GM, 2 WM; and the other way
                tissue = np.array(lut, np.uint8)[labels]
                on_ref = scores(nearest(tissue, grid, truth.shape, ref_affine)[0], truth)
                if key:
                    row["swapped"] = on_ref
                else:
                    row.update(on_ref)
                    row["on_scan_grid"] = scores(nearest(tissue, grid, data.shape, affine)[0] * covered, truth_on_scan)
            row.update({"voxels": {"label1": int((labels == 1).sum()), "label2": int((labels == 2).sum())},
                        "seconds_model": round(seconds_model, 1), "seconds": round(time.time() - start, 1)})
            rows.append(row)
            print(f"{name} ({variant}): GM {row['gm']:.3f} WM {row['wm']:.3f} (swapped {row['swapped']['gm']:.3f}/"
                  f"{row['swapped']['wm']:.3f}), q {q}, model {row['seconds_model']} s, all {row['seconds']} s", flush=True)
            os.makedirs(os.path.dirname(args.out), exist_ok=True)
            with open(args.out, "w") as f:  # after every scan: a partial run keeps what it measured
                json.dump({"model": args.model, "postprocess": not args.no_postprocess, "threads": args.threads, "results": rows}, f, indent=1)
    print("\n| scan | variant | GM Dice | WM Dice | GM / WM on the scan's grid | model s |\n| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['scan']} | {r['variant']} | {r['gm']:.3f} | {r['wm']:.3f} | {r['on_scan_grid']['gm']:.3f} / {r['on_scan_grid']['wm']:.3f} | {r['seconds_model']} |")


if __name__ == "__main__":
    main()
