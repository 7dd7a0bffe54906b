#!/bin/sh
# Retrains the five shipped adapters with their recipes (recorded in each adapter_config.json's
# "recipe"; scripts/adapt-table.ts reads them back to train the same with `siteseg adapt`).
# About 8 minutes on 2 CPU threads. Then: npx tsx scripts/adapter-contrasts.ts (contrast
# profiles into the configs) and the model card's tables (README.md, "ship cycle").
set -e
cd "$(dirname "$0")"
py=/usr/bin/python3
$py train_adapter.py --site niivue-t1 --steps 300 --lr 3e-3
$py train_adapter.py --site fpg-t2 --steps 150 --lr 5e-3 --max-slices 1
$py train_adapter.py --site spm152 --steps 600 --lr 3e-3
$py train_adapter.py --site synth-pd --steps 300 --lr 3e-3 --max-slices 5 --gap 2
$py train_adapter.py --site synth-flair --steps 300 --lr 3e-3
(cd .. && npx tsx scripts/mark-trained-samples.ts)   # the samples each adapter learnt from, marked (site study: "trained on")
