#!/usr/bin/env bash
# Run here before a lent GPU session: copies the label maps the GPU job trains on into the
# git-ignored training/data/ (the device tool carries it: name it in `carry`), then checks the
# whole job on this CPU for a few steps, so a GPU is never spent on debugging.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${SITESEG_DATA:-../shared/data}
mkdir -p training/data/synthseg
cp -u "$DATA"/synthseg/training_seg_*.nii.gz training/data/synthseg/
du -sh training/data
GPU_CHECK=1 OUT=$(mktemp -d) bash training/gpu/run.sh
