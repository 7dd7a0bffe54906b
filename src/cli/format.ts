/** Help texts and the human-readable evaluation table. */

export const MAIN_HELP = `siteseg — brain MRI tissue segmentation (CSF, GM, WM) from the command line

Usage:
  siteseg segment  --image SCAN --out MASK.nii.gz [options]
  siteseg evaluate --image SCAN --label REFERENCE [options]
  siteseg <command> --help

Scans and labels: NIfTI (.nii, .nii.gz) or FreeSurfer MGH (.mgh, .mgz).
Exit codes: 0 success, 1 the work failed (unreadable file, mismatched reference), 2 bad command line.
`;

const COMMON = `  --model DIR        model folder with manifest.json (default: the shipped siteseg-tissue model)
  --adapter NAME     site adapter: a shipped name, a folder, or none (default: none)
  --threads N        CPU threads for inference (default: up to 4)
  --json             print one JSON object on stdout
  -h, --help         show this help`;

export const SEGMENT_HELP = `Usage: siteseg segment --image SCAN --out MASK [options]

Segments a scan and writes the class labels (0 background, 1 CSF, 2 GM, 3 WM) as NIfTI on the
scan's own voxel grid and affine. The output is gzipped when its name ends in .gz.

Options:
  --image SCAN       input scan (required)
  --out MASK         output label file, .nii or .nii.gz (required)
${COMMON}
`;

export const EVALUATE_HELP = `Usage: siteseg evaluate --image SCAN --label REFERENCE [options]

Segments a scan and scores it against a reference label map: Dice per class, their mean, and
per slice. A reference on another grid is resampled (nearest neighbour) through the affines.

Options:
  --image SCAN       input scan (required)
  --label REFERENCE  reference label map (required)
  --convention ID    how the reference is numbered: tissue (0-3), freesurfer or gif (default: guessed)
  --axis 0|1|2       voxel axis of the scan for per-slice Dice (default: 2)
  --holdout ADAPTER  score only slices more than ADAPTER's gap away from the slices it was trained
                     on (recorded in its adapter_config.json); use it for the base and the adapter
                     alike to compare them on the same held-out slices
  --out MASK         also write the predicted labels here
${COMMON}

JSON timings (ms): read = reading scan, reference and model and starting the ONNX session;
preprocess, inference, postprocess = the segmentation; evaluate = Dice; total = the whole command.
`;

export interface EvaluationRow {
  name: string;
  dice: number | null;
  predictedMl: number;
  referenceMl: number;
}

const fmt = (v: number | null, digits = 3) => (v === null ? "—" : v.toFixed(digits));

/** A small fixed-width table: one row per class, then the mean. */
export function evaluationTable(rows: EvaluationRow[], mean: number | null): string {
  const lines = [`${"class".padEnd(8)}${"Dice".padStart(7)}${"pred mL".padStart(10)}${"ref mL".padStart(10)}`];
  for (const r of rows) {
    lines.push(`${r.name.padEnd(8)}${fmt(r.dice).padStart(7)}${r.predictedMl.toFixed(1).padStart(10)}${r.referenceMl.toFixed(1).padStart(10)}`);
  }
  lines.push(`${"mean".padEnd(8)}${fmt(mean).padStart(7)}`);
  return lines.join("\n");
}
