"""Tiny PNG writer for eyeballing synthesised images (no matplotlib/PIL on Debian's minimal install)."""
import struct, zlib
import numpy as np


def save_png(path, img):
    a = np.clip(np.asarray(img, np.float32), 0, 1)
    g = (a * 255).astype(np.uint8)
    h, w = g.shape
    raw = b"".join(b"\x00" + g[i].tobytes() for i in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
