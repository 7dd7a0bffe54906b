#!/bin/bash
# A siteseg site study on a Slurm cluster: one array task per shard, then one merge job.
#
#   bash examples/study-slurm.sh        submits the array and a merge job that waits for it
#   sbatch examples/study-slurm.sh      submits the array only; merge afterwards by hand (see the end)
#
# Set STUDY (a folder of sites or a case list .csv), OUT (a folder every node can write) and
# SITESEG (the siteseg checkout, with `npm install` done); N must equal the array's size.
#SBATCH --job-name=siteseg-study
#SBATCH --array=1-8
#SBATCH --cpus-per-task=4
#SBATCH --mem=8G
#SBATCH --time=04:00:00
#SBATCH --output=siteseg-study-%A_%a.log
set -euo pipefail

N=8
STUDY=${STUDY:-/shared/studies/tissue}
OUT=${OUT:-/shared/results/siteseg-study}
SITESEG=${SITESEG:-$HOME/siteseg}

if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then
  # Not inside Slurm: submit the shards, then the merge once every shard has ended. afterany,
  # not afterok: a shard whose cases all failed exits 1 but still writes its JSON, and merge
  # itself refuses a missing shard, naming it.
  mkdir -p "$OUT"
  array=$(sbatch --parsable --array=1-$N --export=ALL,STUDY="$STUDY",OUT="$OUT",SITESEG="$SITESEG" "$0")
  sbatch --dependency=afterany:"$array" --job-name=siteseg-merge --output="$OUT/merge.log" --chdir="$SITESEG" \
    --wrap "npx siteseg merge $OUT/shard-*.json --csv $OUT/table.csv --cases-csv $OUT/cases.csv --json $OUT/study.json --report $OUT/report.html"
  echo "submitted shards $array and their merge; the table will be in $OUT/table.csv"
  exit 0
fi

cd "$SITESEG"
mkdir -p "$OUT"
npx siteseg study "$STUDY" \
  --shard "${SLURM_ARRAY_TASK_ID}/$N" \
  --threads "${SLURM_CPUS_PER_TASK:-4}" \
  --json "$OUT/shard-${SLURM_ARRAY_TASK_ID}.json"

# By hand, once every shard has finished:
#   npx siteseg merge "$OUT"/shard-*.json --csv "$OUT/table.csv" --json "$OUT/study.json"
