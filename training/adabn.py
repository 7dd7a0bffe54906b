"""Adaptation without labels by BatchNorm statistics (AdaBN), measured in PyTorch before building it.

Each BatchNorm's running mean and variance are re-estimated on the scan's own occupied slices
(no labels), then blended with the training statistics (blend 0 = the base, 1 = the scan's
alone), and the scan is segmented on the model grid (monitor.py's scans and Dice). Result in the
model card ("A stronger base", adaptation without labels): it lowers every real scan but one, so
it was not built into the app (which would need the statistics as graph inputs).
  /usr/bin/python3 adabn.py
"""
import copy, os, sys
import numpy as np, torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from contract import MULTIPLE_OF
from from_onnx import model_from_onnx
from infer import dice, segment_ras
from monitor import site_scans
torch.set_num_threads(2)
model = model_from_onnx(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'public', 'models', 'siteseg-tissue', 'model.onnx')).eval()  # the shipped base

def adapt(model, img, blend, context=1, batch=16):
    m = copy.deepcopy(model)
    bns = [b for b in m.modules() if isinstance(b, torch.nn.BatchNorm2d)]
    src = [(b.running_mean.clone(), b.running_var.clone()) for b in bns]
    for b in bns:
        b.reset_running_stats(); b.momentum = None; b.train()
    x, y, z = img.shape
    pad = lambda n: -(-n // MULTIPLE_OF) * MULTIPLE_OF
    vol = np.zeros((pad(x), pad(y), z + 2 * context), np.float32)
    vol[:x, :y, context:context + z] = img
    occupied = [i for i in range(z) if img[:, :, i].max() > 0]
    with torch.no_grad():
        for s in range(0, len(occupied), batch):
            idx = occupied[s:s + batch]
            m(torch.from_numpy(np.stack([vol[:, :, i:i + 2 * context + 1].transpose(2, 1, 0) for i in idx])))
    for b, (mu, var) in zip(bns, src):
        b.running_mean.mul_(blend).add_((1 - blend) * mu); b.running_var.mul_(blend).add_((1 - blend) * var)
    return m.eval()

for image, v in site_scans():
    row = []
    for blend in [0.0, 0.3, 0.6, 1.0]:
        mm = model if blend == 0 else adapt(model, v['image'], blend)
        d = dice(segment_ras(mm, v['image']), v['labels'])
        row.append(f"{blend}: {np.mean(list(d.values())):.4f} ({'/'.join(f'{x:.3f}' for x in d.values())})")
    print(image, ' | '.join(row), flush=True)
