"""What the references allow, independent of any model (model card, "Ceilings").

  /usr/bin/python3 ceilings.py

spm152: the SPM priors mark all CSF, the evaluation convention (and so the base) only the
ventricular system. The ventricles are the largest connected component of CSF lying deeper
than 6 mm (3 voxels) inside the filled brain; a base that found exactly them would score
2|V| / (|V| + |CSF|) on CSF.
fpg-t2: the reference is sampled at the centre of each 5.5 mm slice; the best any model can do
from a thick slice is the majority tissue across it, so their Dice bounds what the thickness costs.
"""
import os
import nibabel as nib
import numpy as np
from scipy import ndimage as nd
from scipy.ndimage import map_coordinates
from data import DATA
from infer import dice
from labels import gif_to_tissue


def spm_csf_ceiling():
    t = np.asanyarray(nib.load(os.path.join(DATA, "spm152", "tissue.nii.gz")).dataobj)
    csf = t == 1
    depth = nd.distance_transform_edt(nd.binary_fill_holes(t > 0))
    lab, n = nd.label(csf & (depth > 3))
    sizes = nd.sum(csf, lab, range(1, n + 1))
    ventricles = int(sizes.max())
    ceiling = 2 * ventricles / (ventricles + int(csf.sum()))
    print(f"spm152: CSF {int(csf.sum())} voxels, ventricular system {ventricles}; CSF Dice ceiling {ceiling:.3f}; "
          f"mean {(ceiling + 2) / 3:.3f} with perfect GM/WM; a mean of 0.75 needs GM/WM >= {(2.25 - ceiling) / 2:.3f}")


def thick_slice_ceiling():
    t2 = nib.load(os.path.join(DATA, "torchio_fpg", "t2.nii.gz"))
    ref = nib.load(os.path.join(DATA, "torchio_fpg", "t1_seg_gif.nii.gz"))
    tissue = gif_to_tissue(np.asanyarray(ref.dataobj).astype(np.int64)).astype(np.float32)
    shape = t2.shape[:3]
    to_ref = np.linalg.inv(ref.affine) @ t2.affine
    i, j, k = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")

    def at(dk):  # the reference at an offset through the slice (in slice units)
        pts = np.stack([i, j, k + dk, np.ones_like(i)]).reshape(4, -1).astype(float)
        return map_coordinates(tissue, (to_ref @ pts)[:3], order=0).reshape(shape).astype(int)

    votes = np.zeros(shape + (4,))
    for dk in np.linspace(-0.45, 0.45, 10):
        votes += np.eye(4)[at(dk)]
    d = dice(votes.argmax(-1), at(0.0))
    print(f"fpg-t2: slab majority vs slice-centre reference {' '.join(f'{c}:{x:.3f}' for c, x in d.items())}, mean {np.mean(list(d.values())):.3f}")


if __name__ == "__main__":
    spm_csf_ceiling()
    thick_slice_ceiling()
