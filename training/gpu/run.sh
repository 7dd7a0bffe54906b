#!/usr/bin/env bash
# The GPU job (device tool, from the repository root, carry: ["training/data"]):
#   bash training/gpu/run.sh            # trains stages/gpu.json on cuda, checkpoint to $OUT/gpu1.pt
#   STAGE=gpu2 bash training/gpu/run.sh # another stage (its "init" in training/data, made by prepare.sh)
# It resumes from training/out/<name>.pt when a previous lent GPU left one there (carry it too),
# stops at a checkpoint before the device time ends, and prints the GPU and the steps reached.
# GPU_CHECK=1 runs the same code on the CPU for 3 steps (training/gpu/prepare.sh does).
# Back here: training/gpu/README.md (export, parity, evaluation).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:?set OUT to a folder for the checkpoint}
# the first python3 that has torch (the device's is on PATH; here Debian's is /usr/bin/python3)
PY=""
for c in python3 /usr/bin/python3; do
  if command -v "$c" >/dev/null && "$c" -c "import torch" 2>/dev/null; then PY=$(command -v "$c"); break; fi
done
[ -n "$PY" ] || { echo "no python3 with torch" >&2; exit 1; }
STAGE=${STAGE:-gpu}   # training/stages/$STAGE.json; its checkpoint is ${NAME}.pt, NAME from the stage's "name"
NAME=$(sed -n 's/.*"name": *"\([^"]*\)".*/\1/p' "training/stages/$STAGE.json" | head -1)
CKPT="$OUT/$NAME.pt"
[ "${GPU_CHECK:-0}" != 1 ] && [ -f "training/out/$NAME.pt" ] && cp "training/out/$NAME.pt" "$CKPT"
if [ "${GPU_CHECK:-0}" = 1 ]; then
  ARGS=(--device cpu --threads "${THREADS:-2}" --max-steps 3)
else
  nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
  ARGS=(--stop-after "${MINUTES:-7.5}")
fi
cd training
"$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
if [ "${GPU_CHECK:-0}" = 1 ]; then
  # as on the device: nothing but numpy and torch (nibabel, scipy and onnx made unimportable)
  "$PY" -c "import sys, runpy; sys.modules['nibabel'] = sys.modules['scipy'] = sys.modules['onnx'] = None; sys.argv = sys.argv[1:]; runpy.run_path('train.py', run_name='__main__')" \
    train.py "stages/$STAGE.json" --data data --out "$CKPT" "${ARGS[@]}" 2>&1 | tee "$OUT/$NAME.log"
else
  "$PY" train.py "stages/$STAGE.json" --data data --out "$CKPT" "${ARGS[@]}" 2>&1 | tee "$OUT/$NAME.log"
fi
ls -la "$OUT"
