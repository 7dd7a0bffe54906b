"""SynthSeg-style image synthesis from label maps, one 3D volume at a time (torch, on any device).

Each call draws a new contrast: a random intensity per label (fully random, or jittered
T1-/T2-/PD-like orderings), optional skull stripping, thick slices along a random axis,
blur, a smooth multiplicative bias field, noise and gamma. The volume is then normalised
exactly as the manifest tells the app to (percentile scaling over non-background voxels),
so training and inference see the same intensity range.
"""
import numpy as np
import torch
import torch.nn.functional as F
from contract import PERCENTILES, normalise as normalise_contract
from labels import CSF, GM, WM

# Tissue intensity orderings (CSF, GM, WM, other-brain) on 0..1 for realistic contrasts.
CONTRASTS = {
    "T1": (0.25, 0.55, 0.80),
    "T2": (0.90, 0.55, 0.35),
    "PD": (0.80, 0.70, 0.55),
    "FLAIR": (0.15, 0.60, 0.45),  # CSF drawn 0.05-0.5 per image: suppression varies by protocol
}
BRAIN = set(CSF + GM + WM + [24])


def normalise(img: np.ndarray, lower=PERCENTILES[0], upper=PERCENTILES[1]) -> np.ndarray:
    """Percentile scaling to [0, 1] over voxels above the volume's minimum (numpy, every voxel: how
    the shipped synthetic samples were made, kept so they rebuild byte for byte; everything else
    uses contract.normalise, which samples as the app does)."""
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


# Every setting of `synthesise`, as a stage config's "synthesis" section records it (stages/*.json).
SYNTH_DEFAULTS = {
    # contrast of each image: fully random per label, or a jittered T1/T2/PD/FLAIR-like ordering;
    # FLAIR/PD-like orderings (GM above WM, CSF dark to mid-grey) are common clinically (MS and tumour protocols)
    "modes": {"random": 0.25, "T1": 0.3, "T2": 0.2, "PD": 0.1, "FLAIR": 0.15},
    "contrasts": CONTRASTS,
    "flair_csf": [0.05, 0.5],  # FLAIR CSF drawn per image: suppression varies by protocol
    "tissue_jitter": 0.08,  # sd of each brain label's mean around its ordering
    "texture_max": 0.08,  # per-label sd drawn from U(0, this)
    "skull_strip_p": 0.5,  # everything outside the brain exactly zero
    "drop_extracerebral_csf_p": 0.5,  # of skull-stripped images, also without label 24
    "thick_p": 0.35,  # thick slices along one axis (then back to 1 mm)
    "thick_axis_p": [0.2, 0.2, 0.6],  # mostly thick axial slices, as clinical 2D protocols
    "thick_k": [2, 8],  # slice thickness in voxels, [low, high)
    # of thick-slice images, the share acquired as a 2D protocol is and then read by the app: each
    # slice the mean of k voxels (the slice profile), slices every k + gap voxels, and the 1 mm grid
    # between them linearly interpolated, as the app's trilinear resampling does (the rest: blocks
    # of k identical slices, the recipe of 0.3.0 and 0.4.0)
    "thick_sampled_p": 0.0,
    "thick_gap_max": 0,  # voxels between slices, drawn from [0, this]
    "blur_mild_p": 0.6,  # else as coarse as a 2 mm population template (effective FWHM ~5 mm)
    "blur_mild_max": 0.8,
    "blur_coarse": [0.5, 2.2],
    "blur_coarse_aniso": [0.8, 1.2],
    "bias": 0.25,  # sd of the smooth log bias field's terms
    "noise_max": 0.03,
    "gamma_sd": 0.3,
    # anatomy scale (issue 23): with probability scale_p the anatomy (label map, intensities, texture)
    # is scaled isotropically by a factor drawn log-uniformly from `scale`, field of view with it,
    # before the acquisition (thick slices, blur, bias, noise at 1 mm), so brains far smaller than an
    # adult's (a fetal brain) are seen on the model's 1 mm grid as well. Off by default: nothing is
    # drawn, so earlier stages reproduce bit for bit.
    "scale_p": 0.0,
    "scale": [0.33, 1.15],
}


def draw_scale(rng, cfg=None):
    """The anatomy scale factor of one volume, or None (unscaled; nothing drawn when scale_p is 0)."""
    cfg = {**SYNTH_DEFAULTS, **(cfg or {})}
    if cfg["scale_p"] <= 0 or rng.random() >= cfg["scale_p"]:
        return None
    lo, hi = cfg["scale"]
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def scaled_shape(shape, f):
    """The grid a volume scaled by f is resampled onto: its field of view scaled with the anatomy
    (a small head is imaged with a small field of view, as a fetal scan is), at least one voxel."""
    return tuple(max(1, int(round(n * f))) for n in shape)


def scale_labels(labels: torch.Tensor, f: float) -> torch.Tensor:
    """Label map (its whole grid) scaled by f onto scaled_shape: nearest neighbour, each output voxel
    the label at its centre ((i + 0.5) n / m - 0.5 in source voxels, as F.interpolate places them)."""
    out = labels
    for axis, m in enumerate(scaled_shape(labels.shape, f)):
        n = labels.shape[axis]
        centre = (torch.arange(m, device=labels.device, dtype=torch.float64) + 0.5) * (n / m) - 0.5
        out = out.index_select(axis, torch.floor(centre + 0.5).long().clamp(0, n - 1))
    return out


def scale_image(img: torch.Tensor, f: float) -> torch.Tensor:
    """Image (its whole grid) scaled by f onto scaled_shape: each output voxel the average of the
    source it covers (area weights, so a shrunk brain gets the partial-volume mixing a real small one
    imaged at 1 mm has; centred where scale_labels samples), separable, on any device."""
    out = img
    for axis, m in enumerate(scaled_shape(img.shape, f)):
        n = img.shape[axis]
        i = torch.arange(m, device=img.device, dtype=torch.float64)
        lo, hi = i * (n / m) - 0.5, (i + 1) * (n / m) - 0.5
        j = torch.arange(n, device=img.device, dtype=torch.float64)
        w = (torch.minimum(hi[:, None], j + 0.5) - torch.maximum(lo[:, None], j - 0.5)).clamp(min=0) * (m / n)
        out = torch.tensordot(w.float(), out.movedim(axis, 0), dims=([1], [0])).movedim(0, axis)
    return out


def gaussian_blur3d(img: torch.Tensor, sigma) -> torch.Tensor:
    """Separable Gaussian blur (scipy's truncate=2.0 kernels; edges replicated) on any device."""
    x = img[None, None]
    for ax, s in enumerate(sigma):
        if s <= 0.2:
            continue
        r = int(2.0 * s + 0.5)
        k = torch.exp(-0.5 * (torch.arange(-r, r + 1, device=img.device, dtype=torch.float32) / s) ** 2)
        k = (k / k.sum()).view(1, 1, *[2 * r + 1 if a == ax else 1 for a in range(3)])
        pad = [0, 0, 0, 0, 0, 0]
        pad[2 * (2 - ax)] = pad[2 * (2 - ax) + 1] = r
        x = F.conv3d(F.pad(x, pad, mode="replicate"), k)
    return x[0, 0]


def smooth_field_torch(shape, rng, strength, device):
    """`smooth_field` on a torch device (the same sum of separable cosines, drawn from `rng`)."""
    out = torch.zeros(shape, device=device)
    axes = [torch.linspace(0, np.pi, n, device=device) for n in shape]
    for _ in range(4):
        term = torch.ones((1, 1, 1), device=device)
        for ax, coords in enumerate(axes):
            f = float(rng.uniform(0, 2)) * coords + float(rng.uniform(0, 2 * np.pi))
            s = [1, 1, 1]
            s[ax] = shape[ax]
            term = term * torch.cos(f).reshape(s)
        out += float(rng.normal(0, strength)) * term
    return out


def thick_sampled(img: torch.Tensor, k: int, gap: int, offset: int) -> torch.Tensor:
    """img [D, ...] at 1 mm as a 2D acquisition along D reads back at 1 mm: slice j averages voxels
    [c - k/2, c + k/2) about its centre c = offset + j * (k + gap), and every voxel between two
    centres is the linear blend of the two (edges hold the nearest slice)."""
    d = img.shape[0]
    centres = torch.arange(offset, d, k + gap, device=img.device)
    if len(centres) < 2:
        return img
    csum = torch.cat([torch.zeros_like(img[:1]), img.cumsum(0)])
    lo, hi = (centres - k // 2).clamp(0, d), (centres - k // 2 + k).clamp(0, d)
    slices = (csum[hi] - csum[lo]) / (hi - lo).clamp(min=1).view(-1, *[1] * (img.dim() - 1)).to(img.dtype)
    pos = torch.arange(d, device=img.device, dtype=torch.float32)
    j = (torch.searchsorted(centres.float(), pos, right=True) - 1).clamp(0, len(centres) - 2)
    w = ((pos - centres[j].float()) / float(k + gap)).clamp(0, 1).view(-1, *[1] * (img.dim() - 1)).to(img.dtype)
    return slices[j] * (1 - w) + slices[j + 1] * w


def synthesise(labels: torch.Tensor, label_ids: np.ndarray, rng: np.random.Generator, gen: torch.Generator, cfg=None,
               scale=None) -> torch.Tensor:
    """labels: int64 tensor (RAS, 1 mm) on any device; label_ids: the ids present. Scalars come
    from `rng`, voxel noise from `gen` (on the labels' device), so a volume is a function of the
    two seeds. `scale`: a factor from draw_scale, or None: the anatomy (intensities and texture)
    is scaled before the acquisition, onto scaled_shape; its target is then scale_labels(target,
    scale). Returns a float32 image in [0, 1], normalised as the
    manifest tells the app."""
    cfg = {**SYNTH_DEFAULTS, **(cfg or {})}
    dev = labels.device
    n = int(label_ids.max()) + 1
    mean = np.zeros(n, np.float32)
    std = np.zeros(n, np.float32)
    modes = list(cfg["modes"])
    mode = modes[rng.choice(len(modes), p=np.array([cfg["modes"][m] for m in modes]) / sum(cfg["modes"].values()))]
    c = cfg["contrasts"].get(mode)
    if mode == "FLAIR":
        c = (rng.uniform(*cfg["flair_csf"]), *c[1:])
    for lid in label_ids:
        if mode == "random" or lid not in BRAIN or lid == 0:
            mean[lid] = rng.uniform(0, 1)
        else:
            base = c[0] if lid in CSF or lid == 24 else c[1] if lid in GM else c[2] if lid in WM else rng.uniform(0, 1)
            mean[lid] = np.clip(base + rng.normal(0, cfg["tissue_jitter"]), 0, 1)
        std[lid] = rng.uniform(0, cfg["texture_max"])
    lab = labels
    stripped = rng.random() < cfg["skull_strip_p"]
    if stripped:
        keep = np.zeros(n, bool)
        keep[[i for i in label_ids if i in BRAIN]] = True
        if rng.random() < cfg["drop_extracerebral_csf_p"] and n > 24:
            keep[24] = False
        lab = torch.where(torch.from_numpy(keep).to(dev)[labels], labels, torch.zeros_like(labels))
        mean[0], std[0] = 0.0, 0.0
    mean_t, std_t = torch.from_numpy(mean).to(dev), torch.from_numpy(std).to(dev)
    img = mean_t[lab] + std_t[lab] * torch.randn(lab.shape, generator=gen, device=dev)
    if scale is not None:
        img, lab = scale_image(img, scale), scale_labels(lab, scale)

    if rng.random() < cfg["thick_p"]:
        ax = int(rng.choice(3, p=cfg["thick_axis_p"]))
        k = int(rng.integers(*cfg["thick_k"]))
        img = img.movedim(ax, 0).contiguous()
        if cfg["thick_sampled_p"] > 0 and rng.random() < cfg["thick_sampled_p"]:  # no draw otherwise: old stages re-run bit for bit
            img = thick_sampled(img, k, int(rng.integers(0, cfg["thick_gap_max"] + 1)), int(rng.integers(0, k)))
        else:
            m = img.shape[0] // k * k
            block = img[:m].reshape(m // k, k, *img.shape[1:]).mean(1)
            img[:m] = block.repeat_interleave(k, 0)
        img = img.movedim(0, ax)
    if rng.random() < cfg["blur_mild_p"]:
        sigma = rng.uniform(0, cfg["blur_mild_max"], 3)
    else:
        sigma = rng.uniform(*cfg["blur_coarse"]) * rng.uniform(*cfg["blur_coarse_aniso"], 3)
    img = gaussian_blur3d(img.contiguous(), sigma)
    img = img * torch.exp(smooth_field_torch(tuple(img.shape), rng, cfg["bias"], dev))
    img = img + float(rng.uniform(0, cfg["noise_max"])) * torch.randn(img.shape, generator=gen, device=dev)
    if stripped:
        img[lab == 0] = 0.0  # a skull-stripped scan keeps its zero background
    img = normalise_contract(img.clamp(min=0))
    return img ** float(np.exp(rng.normal(0, cfg["gamma_sd"])))


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
    from scipy.ndimage import gaussian_filter  # (here only: the training job needs numpy and torch alone)
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
