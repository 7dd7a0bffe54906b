#!/usr/bin/env bash
# Run here before a lent GPU session: packs the SynthSeg label maps the GPU job trains on into the
# git-ignored training/data/synthseg_maps.npz (numpy only; the device tool carries it: name
# training/data in `carry`), then checks the whole job on this CPU for 3 steps with nibabel and
# scipy blocked (the device image is not known to have them), so a GPU is never spent on debugging.
set -euo pipefail
cd "$(dirname "$0")/../.."
(cd training && /usr/bin/python3 -c "from data import pack_synthseg_maps; print(pack_synthseg_maps('data'))")
du -sh training/data
GPU_CHECK=1 OUT=$(mktemp -d) bash training/gpu/run.sh
