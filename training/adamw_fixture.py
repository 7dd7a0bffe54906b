"""torch.optim.AdamW on fixed gradients, for src/core/train/adamw.test.ts: writes parity/adamw.json.

  /usr/bin/python3 adamw_fixture.py

Two cases: PyTorch's defaults (lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 1e-2) and
train_adapter.py's settings (lr 3e-3, weight_decay 0). Two parameter tensors, 6 steps; each
step's gradient and the parameters after it are recorded.
"""
import json, os
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def f32list(a):
    return [float(repr(v)) for v in np.asarray(a, np.float32).ravel()]


def main():
    torch.set_num_threads(1)
    rng = np.random.default_rng(11)
    cases = []
    for name, opts in (("defaults", {}), ("train_adapter", {"lr": 3e-3, "weight_decay": 0.0}),
                       ("custom", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1})):
        init = [rng.normal(0, 1, 7).astype(np.float32), rng.normal(0, 0.1, (3, 4)).astype(np.float32)]
        params = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in init]
        opt = torch.optim.AdamW(params, **opts)
        steps = []
        for k in range(6):
            grads = [rng.normal(0, 10.0 ** rng.integers(-4, 1), p.shape).astype(np.float32) for p in init]
            if k == 2:
                grads[0][:3] = 0  # zero gradients: only the decay and the moments move these
            for p, g in zip(params, grads):
                p.grad = torch.from_numpy(g)
            opt.step()
            steps.append({"grads": [f32list(g) for g in grads], "params": [f32list(p.detach().numpy()) for p in params]})
        full = opt.defaults
        cases.append({"name": name, "options": {"lr": full["lr"], "betas": list(full["betas"]), "eps": full["eps"], "weightDecay": full["weight_decay"]},
                      "init": [f32list(p) for p in init], "steps": steps})
    out = os.path.join(HERE, "parity", "adamw.json")
    json.dump({"about": f"training/adamw_fixture.py: torch {torch.__version__} torch.optim.AdamW", "cases": cases}, open(out, "w"))
    print("wrote", out, os.path.getsize(out), "bytes")


if __name__ == "__main__":
    main()
