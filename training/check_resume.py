"""Checks that a stage re-runs bit for bit and that resuming equals running on: the stage's first
N steps in one run, and in two runs (N/2, then resumed), must give identical tensors.

  /usr/bin/python3 check_resume.py stages/smoke.json 8      # ~1 minute on one CPU thread
  /usr/bin/python3 check_resume.py stages/tumour-smoke.json 4 train_tumour.py   # another trainer with train.py's options
"""
import os, subprocess, sys, tempfile
import torch

config, steps = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 8
trainer = sys.argv[3] if len(sys.argv) > 3 else "train.py"
here = os.path.dirname(os.path.abspath(__file__))
with tempfile.TemporaryDirectory() as tmp:
    one, two = os.path.join(tmp, "one.pt"), os.path.join(tmp, "two.pt")
    run = lambda out, n: subprocess.run([sys.executable, trainer, config, "--out", out, "--max-steps", str(n), "--threads", "1"], cwd=here, check=True, capture_output=True)
    run(one, steps)
    run(two, steps // 2)
    run(two, steps)
    a, b = torch.load(one), torch.load(two)
    worst = max(float((a[k][n].float() - b[k][n].float()).abs().max()) for k in ("state_dict", "model") for n in a[k])
    print(f"{config}: {steps} steps in one run vs {steps // 2} + resumed {steps - steps // 2}: steps {a['step']} / {b['step']}, largest tensor difference {worst}")
    sys.exit(0 if worst == 0.0 and a["step"] == b["step"] == steps else 1)
