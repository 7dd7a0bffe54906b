"""Builds the app's built-in sample sites, public/samples/, from ../shared/data (deterministic).

  /usr/bin/python3 samples.py            # writes ../public/samples/ (scans, labels, LICENSE, index.json)
  /usr/bin/python3 samples.py --check    # rebuilds in a temporary folder, compares byte for byte

Only what the data's licences allow ships (../shared/data/README.md): the niivue_fs T1 (BSD-2)
and the torchio_fpg T2 (MIT) with their labels, cropped to the head, two images synthesised
by synth.py from the niivue_fs label map (fixed seeds), and a multi-case fetal site from
fetal_sb (CC0: FETAL_CASES, each cropped to its brain), each with its licence beside it.
File names follow the app's pairing rules: FreeSurfer `norm.mgz` + `aparc*+aseg.mgz` in one
folder, otherwise `X.nii.gz` + `X_seg.nii.gz`.

Cropping keeps world positions (the affine's origin moves with the crop) and never cuts along
the axis a shipped adapter records its training slices on (niivue-t1: voxel axis 1; fpg-t2:
axis 2), so `siteseg evaluate --holdout NAME` scores the same slices on a sample as on the
original scan.
"""
import argparse, filecmp, hashlib, json, os, sys, tempfile
import nibabel as nib
import numpy as np
from scipy import ndimage as nd
from data import DATA
from synth import synthesise_fixed

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "public", "samples")
MARGIN = 4
nib.openers.Opener.default_compresslevel = 9  # gzip -9: the shipped files stay small

NIIVUE_LICENSE = """BSD 2-Clause License

Copyright (c) 2021, Niivue
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""

TORCHIO_DATA_LICENSE = """MIT License

Copyright (c) 2020 Fernando Pérez-García

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""

NIIVUE_DEMOS = "the NiiVue project's demo images (https://github.com/niivue/niivue, packages/niivue/demos/images/)"

LICENSES = {
    "niivue-t1": f"""norm.mgz and aparc.a2009s+aseg.mgz are derived from the files of the same names in
{NIIVUE_DEMOS},
distributed under the NiiVue repository's BSD 2-Clause licence, below.
Changes: both volumes cropped to the head (the same box; world positions unchanged) by
siteseg's training/samples.py.

{NIIVUE_LICENSE}""",
    "fpg-t2": f"""t2.nii.gz and t2_seg.nii.gz are derived from TorchIO's FPG sample subject: t2.nii.gz and
t1_seg_gif.nii.gz (a GIF parcellation made on the same subject's T1) from the TorchIO data
repository (https://github.com/TorchIO-project/torchio-data, data/fernando/), distributed
under that repository's MIT licence, below.
Changes: each cropped to the head on its own grid (world positions unchanged) by siteseg's
training/samples.py.

{TORCHIO_DATA_LICENSE}""",
}
SYNTHETIC_NOTE = f"""SYNTHETIC IMAGE: {{image}} is not a scan of anyone. It was synthesised by siteseg's training
code (training/synth.py, synthesise_fixed, called by training/samples.py with a fixed seed) from
the FreeSurfer label map aparc.a2009s+aseg.mgz of
{NIIVUE_DEMOS};
{{label}} is that label map, cropped. The label map is distributed under the NiiVue
repository's BSD 2-Clause licence, below.

{NIIVUE_LICENSE}"""

SYNTHETIC = [  # id, file stem, synthesise_fixed settings, seed, name, description
    # PD-like (CSF > GM > WM, low GM/WM contrast), 3 mm axial slices (RAS z blocks of 3), a strong bias field
    ("synth-pd", "pd", dict(tissue=(0.85, 0.72, 0.66), bias=0.6, blur=1.0, noise=0.05, thick=(2, 3)), 11,
     "Synthetic PD, 3 mm slices", "PD-like contrast, 1×1 mm in-plane, 3 mm axial slices, strong bias field"),
    # FLAIR-like (CSF suppressed, GM above WM), 1 mm, strong Rician noise
    ("synth-flair", "flair", dict(tissue=(0.2, 0.53, 0.46), bias=0.25, blur=0.8, noise=0.06), 12,
     "Synthetic FLAIR, noisy", "FLAIR-like contrast (CSF dark, GM slightly above WM), 1 mm isotropic, strong noise"),
]


# The fetal sample site (fetal_sb, CC0): two cases its adapter learns from (from scripts/fetal-loco.ts's
# training pool) and six it never sees (from its fixed held-out set), so the sample study shows a real
# leave-cases-out figure. Budget: the site's files stay under 3 MiB.
FETAL_TRAIN = ["GA24_notoperated", "GA29_operated"]
FETAL_HELD_OUT = ["GA21_notoperated", "GA23_notoperated", "GA26_operated", "GA28_operated", "GA32_operated", "GA34_operated"]
FETAL_SHOWN = "GA28_operated"  # the case Open sample opens (held out)
FETAL_LICENSE = """The files in this folder are derived from the spatio-temporal atlas of the developing fetal brain
with spina bifida aperta (Fidon et al. 2021, Open Research Europe; KCL / UZ Leuven; zenodo record
5524312), as kept in ../shared/data/fetal_sb: for each gestational age GAnn, GAnn.nii.gz is its
super-resolved T2-weighted volume (srr.nii.gz) and GAnn_seg.nii.gz its manually refined
segmentation (parcellation.nii.gz; FeTA labels plus corpus callosum).
Changes: each cropped to its brain (world positions unchanged) by siteseg's training/samples.py.

The atlas is marked with CC0 1.0 Universal (public domain dedication):
https://creativecommons.org/publicdomain/zero/1.0/
"""


def fetal_id(case):
    """GA24_notoperated -> GA24; GA25_operated -> GA25op (both ages have two volumes)."""
    age, kind = case.split("_")
    return age if kind == "notoperated" else age + "op"


def crop_box(mask, margin=MARGIN, keep_axes=()):
    """Slices of mask's bounding box plus margin (clipped to the volume); keep_axes stay whole."""
    out = []
    for ax in range(3):
        if ax in keep_axes:
            out.append(slice(0, mask.shape[ax]))
            continue
        idx = np.nonzero(mask.any(axis=tuple(a for a in range(3) if a != ax)))[0]
        out.append(slice(max(int(idx.min()) - margin, 0), min(int(idx.max()) + margin + 1, mask.shape[ax])))
    return tuple(out)


def shifted(affine, box):
    """The affine of the cropped volume: its first voxel is the box's first voxel."""
    a = affine.copy()
    a[:3, 3] = (affine @ np.array([s.start for s in box] + [1.0]))[:3]
    return a


def save_nifti(path, data, affine, dtype):
    img = nib.Nifti1Image(np.asarray(data).astype(dtype), affine)
    img.header.set_data_dtype(dtype)
    img.header.set_xyzt_units("mm", "sec")
    img.header.set_qform(affine, code=1)
    img.header.set_sform(affine, code=1)
    nib.save(img, path)


def save_mgh(path, src, box):
    """Crop an MGHImage to box, keeping its datatype and scan parameters."""
    data = np.asanyarray(src.dataobj)[box]
    hdr = src.header.copy()
    img = nib.MGHImage(data.astype(hdr.get_data_dtype().newbyteorder("=")), shifted(src.affine, box), hdr)
    nib.save(img, path)


def as_int(img01, dtype=np.uint8):
    """[0, 1] float image to the full range of an unsigned integer type (small files)."""
    return np.round(img01 * np.iinfo(dtype).max).astype(dtype)


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def build(out):
    os.makedirs(out, exist_ok=True)
    sites = []

    # 1. niivue-t1: FreeSurfer norm.mgz + aparc.a2009s+aseg.mgz, one box for both (MGZ kept)
    norm = nib.load(os.path.join(DATA, "niivue_fs", "norm.mgz"))
    aparc = nib.load(os.path.join(DATA, "niivue_fs", "aparc.a2009s+aseg.mgz"))
    lab = np.asanyarray(aparc.dataobj)
    box = crop_box((np.asanyarray(norm.dataobj) > 0) | (lab > 0), keep_axes=(1,))
    d = os.path.join(out, "niivue-t1")
    os.makedirs(d, exist_ok=True)
    save_mgh(os.path.join(d, "norm.mgz"), norm, box)
    save_mgh(os.path.join(d, "aparc.a2009s+aseg.mgz"), aparc, box)
    write(os.path.join(d, "LICENSE"), LICENSES["niivue-t1"])
    sites.append({"id": "niivue-t1", "name": "FreeSurfer T1", "synthetic": False,
                  "description": "3D T1-weighted, FreeSurfer-conformed 1 mm (norm.mgz: skull-stripped, intensity-normalised)",
                  "image": "niivue-t1/norm.mgz", "label": "niivue-t1/aparc.a2009s+aseg.mgz",
                  "convention": "freesurfer", "adapter": "niivue-t1",
                  "licence": "niivue-t1/LICENSE", "source": "niivue_fs (BSD-2-Clause)"})

    # 2. fpg-t2: whole-head T2 and the GIF parcellation, each cropped on its own grid
    t2 = nib.load(os.path.join(DATA, "torchio_fpg", "t2.nii.gz"))
    gif = nib.load(os.path.join(DATA, "torchio_fpg", "t1_seg_gif.nii.gz"))
    t2d = np.asanyarray(t2.dataobj)
    fg = t2d > 0.1 * np.percentile(t2d, 99.5)
    parts, n = nd.label(fg)
    head = parts == (1 + int(np.argmax(nd.sum(fg, parts, range(1, n + 1)))))  # no stray bright voxels
    tbox = crop_box(head, keep_axes=(2,))
    gd = np.asanyarray(gif.dataobj)
    gbox = crop_box(gd > 0)
    d = os.path.join(out, "fpg-t2")
    os.makedirs(d, exist_ok=True)
    save_nifti(os.path.join(d, "t2.nii.gz"), t2d[tbox], shifted(t2.affine, tbox), np.int16)
    save_nifti(os.path.join(d, "t2_seg.nii.gz"), gd[gbox], shifted(gif.affine, gbox), np.uint8)
    write(os.path.join(d, "LICENSE"), LICENSES["fpg-t2"])
    sites.append({"id": "fpg-t2", "name": "Thick-slice T2", "synthetic": False,
                  "description": "2D T2-weighted, whole head, 0.75×0.75 mm in-plane, 5.5 mm axial slices",
                  "image": "fpg-t2/t2.nii.gz", "label": "fpg-t2/t2_seg.nii.gz",
                  "convention": "gif", "adapter": "fpg-t2",
                  "licence": "fpg-t2/LICENSE", "source": "torchio_fpg (MIT)"})

    # 3-4. synthetic PD and FLAIR from the niivue_fs label map, cropped to its own box on every axis
    # (their adapters are trained on these files, so no earlier slice indices need keeping)
    sbox = crop_box(lab > 0)
    seg = lab[sbox].astype(np.int16)  # FreeSurfer numbering, max 12175
    seg_affine = shifted(aparc.affine, sbox)
    ras = nib.as_closest_canonical(nib.Nifti1Image(seg, seg_affine))
    lab_ras, ras_affine = np.asarray(ras.dataobj).astype(np.int32), ras.affine
    # sulcal and extracerebral CSF, which FreeSurfer leaves unlabelled, as SynthSeg's label 24:
    # bright on PD, dark on FLAIR, background for the tissue convention
    brain = lab_ras > 0
    hull = nd.binary_fill_holes(nd.binary_closing(np.pad(brain, 6), nd.generate_binary_structure(3, 1), iterations=5))[6:-6, 6:-6, 6:-6]
    hull = nd.binary_dilation(hull, iterations=1)
    synth_lab = np.where(brain, lab_ras, np.where(hull, 24, 0))
    for sid, stem, kw, seed, name, desc in SYNTHETIC:
        rng = np.random.default_rng(seed)
        labels = synth_lab
        affine = ras_affine
        if kw.get("thick"):
            ax, k = kw["thick"]
            pad = [(0, 0)] * 3
            pad[ax] = (0, -labels.shape[ax] % k)
            labels = np.pad(labels, pad)
            affine = ras_affine.copy()
            affine[:3, ax] *= k
            affine[:3, 3] = ras_affine[:3, 3] + ras_affine[:3, ax] * (k - 1) / 2  # centre of each block
        img = synthesise_fixed(labels, rng, **kw)
        d = os.path.join(out, sid)
        os.makedirs(d, exist_ok=True)
        save_nifti(os.path.join(d, f"{stem}.nii.gz"), as_int(img), affine, np.uint8)
        save_nifti(os.path.join(d, f"{stem}_seg.nii.gz"), seg, seg_affine, np.int16)
        write(os.path.join(d, "LICENSE"), SYNTHETIC_NOTE.format(image=f"{stem}.nii.gz", label=f"{stem}_seg.nii.gz"))
        sites.append({"id": sid, "name": name, "synthetic": True, "description": desc,
                      "image": f"{sid}/{stem}.nii.gz", "label": f"{sid}/{stem}_seg.nii.gz",
                      "convention": "freesurfer", "adapter": sid,
                      "licence": f"{sid}/LICENSE", "source": "synthesised from the niivue_fs label map (BSD-2-Clause)"})

    # 5. fetal-sb: several cases of one site, each cropped to its brain (the scans are brain-masked)
    d = os.path.join(out, "fetal-sb")
    os.makedirs(d, exist_ok=True)
    cases = []
    for case in sorted(FETAL_TRAIN + FETAL_HELD_OUT):
        srr = nib.load(os.path.join(DATA, "fetal_sb", case, "srr.nii.gz"))
        par = nib.load(os.path.join(DATA, "fetal_sb", case, "parcellation.nii.gz"))
        img, lab = np.asanyarray(srr.dataobj), np.asanyarray(par.dataobj)
        box = crop_box((img > 0) | (lab > 0))
        cid = fetal_id(case)
        # whole numbers in int16 (the values run to about 4,000; rounding moves none by more than 0.5):
        # a quarter of the float32 file's size
        save_nifti(os.path.join(d, f"{cid}.nii.gz"), np.round(img[box]), shifted(srr.affine, box), np.int16)
        save_nifti(os.path.join(d, f"{cid}_seg.nii.gz"), lab[box], shifted(par.affine, box), np.uint8)
        cases.append({"id": cid, "image": f"fetal-sb/{cid}.nii.gz", "label": f"fetal-sb/{cid}_seg.nii.gz"})
    write(os.path.join(d, "LICENSE"), FETAL_LICENSE)
    shown = fetal_id(FETAL_SHOWN)
    sites.append({"id": "fetal-sb", "name": "Fetal T2 (8 cases)", "synthetic": False,
                  "description": "Super-resolved fetal T2, 0.8 mm isotropic, brain-masked; one volume per gestational age (21-34 weeks); "
                                 f"its adapter learnt from {', '.join(fetal_id(c) for c in FETAL_TRAIN)} and is judged on the other six",
                  "image": f"fetal-sb/{shown}.nii.gz", "label": f"fetal-sb/{shown}_seg.nii.gz",
                  "convention": "feta", "adapter": "fetal-sb",
                  "licence": "fetal-sb/LICENSE", "source": "fetal_sb (CC0 1.0)", "cases": cases})

    with open(os.path.join(out, "index.json"), "w", encoding="utf-8") as f:
        json.dump({"schemaVersion": 1, "sites": sites}, f, indent=2, ensure_ascii=False)
        f.write("\n")


def files_of(root):
    return sorted(os.path.relpath(os.path.join(dp, f), root) for dp, _, fs in os.walk(root) for f in fs)


def report(root):
    total = 0
    for rel in files_of(root):
        size = os.path.getsize(os.path.join(root, rel))
        total += size
        print(f"{size:>10,}  {hashlib.sha256(open(os.path.join(root, rel), 'rb').read()).hexdigest()[:12]}  {rel}")
    print(f"{total:>10,}  total ({total / 2 ** 20:.2f} MiB)")
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--check", action="store_true", help="rebuild in a temporary folder and compare with --out")
    args = ap.parse_args()
    if not args.check:
        build(args.out)
        report(args.out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        build(tmp)
        want, have = files_of(tmp), files_of(args.out)
        bad = sorted(set(want) ^ set(have)) + [f for f in want if f in have and not filecmp.cmp(os.path.join(tmp, f), os.path.join(args.out, f), shallow=False)]
        total = report(args.out)
    if bad:
        sys.exit(f"samples differ from a fresh build: {', '.join(bad)}")
    if total > 20 * 2 ** 20:
        sys.exit("samples exceed 20 MB")
    print("samples match a fresh build")


if __name__ == "__main__":
    main()
