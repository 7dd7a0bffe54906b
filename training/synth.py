"""SynthSeg-style image synthesis from label maps, vectorised numpy, one 3D volume at a time.

Each call draws a new contrast: a random intensity per label (fully random, or jittered
T1-/T2-/PD-like orderings), optional skull stripping, thick slices along a random axis,
blur, a smooth multiplicative bias field, noise and gamma. The volume is then normalised
exactly as the manifest tells the app to (percentile scaling over non-background voxels),
so training and inference see the same intensity range.
"""
import numpy as np
from scipy.ndimage import gaussian_filter
from labels import CSF, GM, WM

# Tissue intensity orderings (CSF, GM, WM, other-brain) on 0..1 for realistic contrasts.
CONTRASTS = {
    "T1": (0.25, 0.55, 0.80),
    "T2": (0.90, 0.55, 0.35),
    "PD": (0.80, 0.70, 0.55),
    "FLAIR": (0.15, 0.60, 0.45),  # CSF drawn 0.05-0.5 per image: suppression varies by protocol
}
BRAIN = set(CSF + GM + WM + [24])


def normalise(img: np.ndarray, lower=0.5, upper=99.5) -> np.ndarray:
    """Percentile scaling to [0, 1] over voxels above the volume's minimum (the manifest's step)."""
    fg = img[img > img.min()]
    if fg.size == 0:
        return np.zeros_like(img, np.float32)
    lo, hi = np.percentile(fg, [lower, upper])
    return np.clip((img - lo) / max(hi - lo, 1e-6), 0, 1).astype(np.float32)


def smooth_field(shape, rng, strength):
    """Cheap smooth random field: sum of separable low-order cosine terms."""
    out = np.zeros(shape, np.float32)
    axes = [np.linspace(0, np.pi, n, dtype=np.float32) for n in shape]
    for _ in range(4):
        term = np.ones((1, 1, 1), np.float32)
        for ax, coords in enumerate(axes):
            f = rng.uniform(0, 2) * coords + rng.uniform(0, 2 * np.pi)
            s = [1, 1, 1]
            s[ax] = shape[ax]
            term = term * np.cos(f).reshape(s)
        out += rng.normal(0, strength) * term
    return out


def synthesise(labels: np.ndarray, label_ids: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """labels: int volume (RAS, 1 mm); label_ids: the ids present. Returns a float32 image in [0, 1]."""
    n = int(label_ids.max()) + 1
    mean = np.zeros(n, np.float32)
    std = np.zeros(n, np.float32)
    # FLAIR/PD-like orderings (GM above WM, CSF dark to mid-grey) are common clinically
    # (MS and tumour protocols) and were under-represented: 15 % of images are FLAIR-like.
    mode = rng.choice(["random", "T1", "T2", "PD", "FLAIR"], p=[0.25, 0.3, 0.2, 0.1, 0.15])
    c = CONTRASTS.get(mode)
    if mode == "FLAIR":
        c = (rng.uniform(0.05, 0.5), *c[1:])
    for lid in label_ids:
        if mode == "random" or lid not in BRAIN or lid == 0:
            mean[lid] = rng.uniform(0, 1)
        else:
            base = c[0] if lid in CSF or lid == 24 else c[1] if lid in GM else c[2] if lid in WM else rng.uniform(0, 1)
            mean[lid] = np.clip(base + rng.normal(0, 0.08), 0, 1)
        std[lid] = rng.uniform(0, 0.08)
    lab = labels
    if rng.random() < 0.5:  # skull-stripped: everything outside the brain is exactly zero
        keep = np.zeros(n, bool)
        keep[[i for i in label_ids if i in BRAIN]] = True
        if rng.random() < 0.5:
            keep[24] = False
        lab = np.where(keep[labels], labels, 0)
        mean[0], std[0] = 0.0, 0.0
    img = mean[lab] + std[lab] * rng.standard_normal(lab.shape, dtype=np.float32)

    # thick slices / low resolution along one axis, then back to 1 mm
    if rng.random() < 0.35:
        ax = rng.choice(3, p=[0.2, 0.2, 0.6])  # mostly thick axial slices, as clinical 2D protocols
        k = int(rng.integers(2, 8))
        img = np.moveaxis(img, ax, 0)
        m = img.shape[0] // k * k
        block = img[:m].reshape(m // k, k, *img.shape[1:]).mean(1)
        img[:m] = np.repeat(block, k, axis=0)
        img = np.moveaxis(img, 0, ax)
    # blur: mostly mild, sometimes as coarse as a 2 mm population template (effective FWHM ~5 mm)
    sigma = rng.uniform(0, 0.8, 3) if rng.random() < 0.6 else rng.uniform(0.5, 2.2) * rng.uniform(0.8, 1.2, 3)
    if sigma.max() > 0.2:
        img = gaussian_filter(img, sigma, truncate=2.0)
    img *= np.exp(smooth_field(img.shape, rng, 0.25))
    img += rng.normal(0, rng.uniform(0, 0.03), img.shape).astype(np.float32)
    if mean[0] == 0.0 and std[0] == 0.0:
        img[lab == 0] = 0.0  # a skull-stripped scan keeps its zero background
    img = np.clip(img, 0, None)
    img = normalise(img)
    return img ** np.float32(np.exp(rng.normal(0, 0.3)))


# Deep grey nuclei (thalamus, caudate, putamen, pallidum, accumbens, ventral DC): their contrast
# lies between cortex and WM on most sequences, so the fixed-contrast samples mix the two.
DEEP_GREY = {10, 11, 12, 13, 26, 28, 49, 50, 51, 52, 58, 60}


def synthesise_fixed(labels, rng, tissue, *, jitter=0.03, texture=0.02, blur=0.5, bias=0.25,
                     thick=None, noise=0.02, rician=True):
    """One image of a fixed, seeded contrast (the app's synthetic samples, `samples.py`).

    labels: int volume (RAS, 1 mm); tissue: mean intensity (CSF, GM, WM) on 0..1, extracerebral
    CSF (24) as CSF, other brain labels halfway between GM and WM, background 0 (skull-stripped).
    Per-label jitter and texture, Gaussian blur (`blur` mm sigma, in-plane and through-plane),
    a smooth multiplicative bias field (`smooth_field` of `bias` strength), thick slices
    (`thick=(axis, k)`: k-voxel blocks averaged and kept as one slice, so the result is k times
    shorter along `axis`), then noise of standard deviation `noise` at the acquired resolution
    (Rician magnitude noise by default), and `normalise`. Returns float32 on [0, 1].
    """
    ids = np.unique(labels)
    n = int(ids.max()) + 1
    mean = np.zeros(n, np.float32)
    std = np.zeros(n, np.float32)
    c, g, w = tissue
    for lid in ids[ids > 0]:
        base = c if lid in CSF or lid == 24 else 0.5 * (g + w) if lid in DEEP_GREY else g if lid in GM else w if lid in WM else 0.5 * (g + w)
        mean[lid] = np.clip(base + rng.normal(0, jitter), 0, 1)
        std[lid] = texture
    img = mean[labels] + std[labels] * rng.standard_normal(labels.shape, dtype=np.float32)
    if blur > 0:
        img = gaussian_filter(img, blur, truncate=2.0)
    img *= np.exp(smooth_field(img.shape, rng, bias))
    head = labels > 0
    if thick is not None:
        ax, k = thick
        img, head = np.moveaxis(img, ax, 0), np.moveaxis(head, ax, 0)
        m = img.shape[0] // k * k
        img = img[:m].reshape(m // k, k, *img.shape[1:]).mean(1)
        head = head[:m].reshape(m // k, k, *head.shape[1:]).any(1)
        img, head = np.moveaxis(img, 0, ax), np.moveaxis(head, 0, ax)
    e1 = rng.normal(0, noise, img.shape).astype(np.float32)
    if rician:
        e2 = rng.normal(0, noise, img.shape).astype(np.float32)
        img = np.sqrt((img + e1) ** 2 + e2 ** 2)
    else:
        img = np.clip(img + e1, 0, None)
    img[~head] = 0.0  # skull-stripped: the background stays exactly zero
    return normalise(img)
