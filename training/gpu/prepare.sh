#!/usr/bin/env bash
# Run here before a lent GPU session (STAGE: training/stages/$STAGE.json, default gpu):
#   bash training/gpu/prepare.sh             # the first stage
#   STAGE=gpu2 bash training/gpu/prepare.sh  # the next one (base 0.4.0 trained further)
# prepare_stage.py puts what the stage needs into the git-ignored training/data (the SynthSeg label
# maps packed, numpy only; fetal_sb's maps where the stage asks; the start weights converted from the
# shipped model.onnx where the stage says "init_from"); the device tool carries it: name
# training/data in `carry`. Then the whole job runs on this CPU for 3 steps with nibabel, scipy and
# onnx blocked (the device image is not known to have them), so a GPU is never spent on debugging.
# THREADS (default 2): CPU threads of that check.
set -euo pipefail
cd "$(dirname "$0")/../.."
STAGE=${STAGE:-gpu}
(cd training && /usr/bin/python3 prepare_stage.py "stages/$STAGE.json" data)
du -sh training/data
GPU_CHECK=1 STAGE=$STAGE OUT=$(mktemp -d) bash training/gpu/run.sh
