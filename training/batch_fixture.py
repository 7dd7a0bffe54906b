"""The shared batch stream (train_adapter.py) on small made-up slices, for
src/core/adapt/data.test.ts: writes parity/batch.json.

  /usr/bin/python3 batch_fixture.py

The TypeScript test rebuilds the same slices and checks that seededRandom and sampleBatch give
these numbers and these batches, so `siteseg adapt --seed S` and `train_adapter.py --seed
S` train on the same crops and start from the same adapter.
"""
import json, os
import numpy as np
from train_adapter import mulberry32, random_contrast, sample_batch

HERE = os.path.dirname(os.path.abspath(__file__))


def made_up_slice(h, w, shift):
    """Context channels (i + j·shift + c) mod 17 / 16 and labels ((i·j + shift) mod 5 < 3 → (i + j) mod 4), inside a border."""
    i, j = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    image = np.stack([((i + j * shift + c) % 17) / 16 for c in range(3)]).astype(np.float32)
    labels = np.where(((i * j + shift) % 5 < 3) & (i > 2) & (j > 4), (i + j) % 4, 0).astype(np.int64)
    return image, labels


def main():
    rand = mulberry32(7)
    first = [rand() for _ in range(8)]
    samples = [made_up_slice(40, 50, 3), made_up_slice(30, 20, 5)]
    cases = []
    for seed, size, zoom, gain in ((0, 32, 0.0, 0.1), (3, 24, 0.0, 0.1), (4, 24, 0.5, 0.3)):
        x, y = sample_batch(samples, mulberry32(seed), 4, size, zoom, gain)
        cases.append({"seed": seed, "batch": 4, "size": size, "zoom": zoom, "gainJitter": gain,
                      "image": [float(repr(v)) for v in x.numpy().ravel()], "labels": y.numpy().ravel().tolist()})
    rand = mulberry32(5)
    contrast = random_contrast(sample_batch(samples, rand, 2, 16)[0], rand)
    json.dump({"seed": 7, "first": first, "cases": cases, "contrast": {"seed": 5, "size": 16, "image": [float(repr(v)) for v in contrast.numpy().ravel()]}}, open(os.path.join(HERE, "parity", "batch.json"), "w"))


if __name__ == "__main__":
    main()
