/** Help texts and the human-readable tables. */
import { FORMATS, VOLUME_FORMATS } from "../core/io/formats";
import { BOOTSTRAP_RESAMPLES, formatDice, formatGain, formatMeanSd, formatStat, type StudyJson } from "../core/study";

/** The table of supported formats, one line each: name, extensions, what it may be, description. */
function formatsHelp(): string {
  const rows = FORMATS.map((f) => [f.name, f.extensions.join(" "), `${f.label ? "scan or label" : "scan only"}: ${f.description}`]);
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => `  ${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[2]}`).join("\n");
}

export const MAIN_HELP = `siteseg — MRI segmentation from the command line (default model: brain tissue CSF, GM, WM;
--model DIR for another, e.g. models/siteseg-tumour)

Usage:
  siteseg segment  --image SCAN --out MASK.nii.gz [options]
  siteseg evaluate --image SCAN --label REFERENCE [options]
  siteseg study    LIST.csv|FOLDER [--shard I/N] [--json OUT] [--csv OUT] [--report OUT.html] [options]
  siteseg merge    SHARD.json... [--json OUT] [--csv OUT] [--report OUT.html]
  siteseg adapt    --image SCAN --label REFERENCE --out DIR [options]
  siteseg <command> --help

Formats:
${formatsHelp()}
A DICOM scan is given as the folder holding its one series (or as one DICOM file).
Outputs are checked before any work: the folder each goes in must exist, and none may name an
input or another output. Each is written whole (a temporary file beside it, then renamed) or not
at all. CSV cells that a spreadsheet would run as a formula get a ' before them.
Exit codes: 0 success, 1 the work failed (unreadable file, mismatched reference), 2 bad command line.
`;

const OUTPUTS = `  --json OUT         write the study (every case's scores and the table) as JSON, for siteseg merge
  --csv OUT          write the table as CSV: one row per site
  --cases-csv OUT    write one CSV row per case (scores and errors)
  --report OUT.html  write a report for people as one self-contained HTML file (no scripts, no
                     other files; prints to PDF from a browser): what was compared, a sentence per
                     site, the table, a per-case chart, volume error and HD95, the model's
                     data-efficiency curve when its folder holds data-efficiency-fetal.json, the
                     model's and adapters' sha256, timings and the failed cases`;

export const STUDY_HELP = `Usage: siteseg study LIST.csv|FOLDER [options]

Scores the base model and each site's adapter on many cases (scan + reference label) and
tabulates Dice per site: base, adapter and the paired gain adapter - base (mean ± sample sd
over cases, and the gain's 95% bootstrap interval, seeded), then the absolute volume error (%)
and HD95 (mm) of each. A site's adapter is the one given with --adapter SITE=DIR, else the
shipped adapter whose site (or name) is the site's name; a site without one is scored with the
base only. A case the site's adapter learnt from (its image's
sha256 is recorded in the adapter) is marked "trained on" and left out of the site's figures,
so each site is judged on cases its adapter never saw. A case that fails is reported with its
reason and the study goes on.

Cases come from a CSV list with the header image,label,site[,convention] (relative paths are
read from the list's folder), or from a folder, searched recursively. In a folder the site is
the first folder under it, and a scan is paired with its label by name:
  X${VOLUME_FORMATS.flatMap((f) => f.extensions).join("|")}  with  X_label.<ext> or X_seg.<ext>  in the same folder
  BIDS sub-A[_ses-B]_…_T1w.nii.gz (T2w, FLAIR, PDw, …)  with  sub-A[_ses-B]_…_dseg.nii.gz
  FreeSurfer mri/norm.mgz  with  mri/aseg.mgz (else aparc*+aseg.mgz)

Options:
  --adapter SITE=DIR the adapter scored for SITE (a folder written by siteseg adapt, a shipped
                     adapter's name, or none); repeat it for other sites
  --shard I/N        score only shard I of N (cases sorted by id, every N-th): run N of these
                     (e.g. a job array), then join their --json files with siteseg merge
${OUTPUTS}
  --model DIR        model folder with manifest.json (default: the shipped siteseg-tissue model)
  --threads N        CPU threads for inference (default: up to 4)
  --options A,B|none the model's passes over each scan, the same for base and adapters (default
                     model: flip = also the scan mirrored left-right, on by default; triplanar =
                     also sagittal and coronal slices; cleanup = tissue outside the brain
                     removed, on by default); default: the manifest's defaults
  --no-cleanup       the manifest's options less its cleanup
  -h, --help         show this help

Exit code 0 when some case was scored (failures are listed), 1 when none was.
`;

export const MERGE_HELP = `Usage: siteseg merge SHARD.json... [options]

Joins the --json outputs of siteseg study --shard 1/N ... N/N into the result of a single run
(the same table, to the last bit) and prints it. Refuses shards of another model, a missing or
repeated shard, a case given twice, and scores no study gives (a Dice outside [0, 1], a mean Dice
its classes or cases do not give).

Options:
${OUTPUTS}
  --model DIR        with --report: the study's model folder, for its checksums and data-efficiency
                     table (default: the shipped siteseg-tissue model)
  -h, --help         show this help
`;

const COMMON = `  --volume N         of a 4D file, the volume to segment (1 = the first, the default)
  --model DIR        model folder with manifest.json (default: the shipped siteseg-tissue model)
  --adapter NAME     site adapter: a shipped name, a folder, or none (default: none)
  --threads N        CPU threads for inference (default: up to 4)
  --options A,B|none inference options the model's manifest offers (default model: flip = also
                     the scan mirrored left-right, averaged, on by default; triplanar = also
                     sagittal and coronal slices, averaged; adapt = adapt to this scan without
                     labels: an adapter trained on the model's own mask, then a second run; not
                     with --adapter); cleanup = remove tissue outside the brain (the largest
                     connected tissue kept, holes in it filled; no model run), on by default;
                     default: the manifest's defaults
  --no-cleanup       the manifest's options less its cleanup: the model's mask as it came
  --no-provenance    write no provenance record beside the mask (with --out)
  --json             print one JSON object on stdout
  -h, --help         show this help`;

export const SEGMENT_HELP = `Usage: siteseg segment --image SCAN --out MASK [options]

Segments a scan and writes the class labels (the model's class numbers, as its manifest lists
them; the default model: 0 background, 1 CSF, 2 GM, 3 WM) as NIfTI on the scan's own voxel grid
and affine. The output is gzipped when its name ends in .gz. Beside it, MASK's stem + .json
(mask.nii.gz: mask.json) is the app's provenance record of a saved mask: model, adapter, options,
input and mask sha256, timings and versions (--no-provenance: none).

Options:
  --image SCAN       input scan, or a folder holding one DICOM series (required)
  --out MASK         output label file, .nii or .nii.gz (required)
${COMMON}
`;

export const EVALUATE_HELP = `Usage: siteseg evaluate --image SCAN --label REFERENCE [options]

Segments a scan and scores it against a reference label map: Dice per class, their mean, and
per slice; volumes, volume error and HD95 per class. A reference on another grid is resampled
(nearest neighbour) through the affines.

Options:
  --image SCAN       input scan, or a folder holding one DICOM series (required)
  --label REFERENCE  reference label map (required)
  --convention ID    how the reference is numbered: classes (the model's own class numbers) or
                     a table the model's manifest lists (default model: freesurfer, gif; the
                     tumour model: brats); default: guessed from the reference's values. One
                     that leaves most of the reference's labelled voxels unknown (scored as
                     background) is warned about, on stderr and in --json "warnings"
  --axis 0|1|2       voxel axis of the scan for per-slice Dice (default: 2)
  --holdout ADAPTER  score only slices more than ADAPTER's gap away from the slices it was trained
                     on (recorded in its adapter_config.json); use it for the base and the adapter
                     alike to compare them on the same held-out slices
  --out MASK         also write the predicted labels here, with their provenance record beside
                     them as segment writes it
${COMMON}

Volume error = predicted - reference (mL, and % of the reference). HD95 = 95th-percentile
Hausdorff distance in mm between the two surfaces of a class (each direction's 95th percentile,
the larger; voxel sizes from the affine).

JSON timings (ms): read = reading scan, reference and model and starting the ONNX session;
preprocess, inference, postprocess = the segmentation; evaluate = Dice, volumes and HD95, of
which hd95 = HD95; total = the whole command.
`;

export interface EvaluationRow {
  name: string;
  dice: number | null;
  predictedMl: number;
  referenceMl: number;
  /** 100·(predicted − reference)/reference; null when the reference volume is 0. */
  volumeErrorPct: number | null;
  /** 95th-percentile Hausdorff distance, mm; null when the class is absent from either. */
  hd95Mm: number | null;
}

const fmt = (v: number | null, digits = 3) => (v === null ? "—" : v.toFixed(digits));
const signed = (v: number | null, digits: number) => (v === null ? "—" : `${v > 0 ? "+" : ""}${v.toFixed(digits)}`);

/** A small fixed-width table: one row per class (Dice, volumes, volume error %, HD95 mm), then the mean Dice. */
export function evaluationTable(rows: EvaluationRow[], mean: number | null): string {
  const w = Math.max(8, ...rows.map((r) => r.name.length + 2)); // class names come from the model's manifest
  const lines = [`${"class".padEnd(w)}${"Dice".padStart(7)}${"pred mL".padStart(10)}${"ref mL".padStart(10)}${"vol err %".padStart(11)}${"HD95 mm".padStart(9)}`];
  for (const r of rows) {
    lines.push(`${r.name.padEnd(w)}${fmt(r.dice).padStart(7)}${r.predictedMl.toFixed(1).padStart(10)}${r.referenceMl.toFixed(1).padStart(10)}${signed(r.volumeErrorPct, 1).padStart(11)}${fmt(r.hd95Mm, 2).padStart(9)}`);
  }
  lines.push(`${"mean".padEnd(w)}${fmt(mean).padStart(7)}`);
  return lines.join("\n");
}

/** A fixed-width table of columns of strings; the first column (and column `left`, if any) left-aligned, the rest right-aligned. */
function columns(rows: string[][], left = 3): string {
  const width = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((v, c) => (c === 0 || c === left ? v.padEnd(width[c]) : v.padStart(width[c]))).join("  ").trimEnd()).join("\n");
}

/** The study for people: one row per site (mean Dice over classes), then the failed cases. */
export function studyReport(doc: StudyJson): string {
  const scored = doc.cases.filter((c) => c.error === null).length;
  const failed = doc.cases.length - scored;
  const shard = doc.shard ? ` · shard ${doc.shard.index}/${doc.shard.count} of ${doc.shard.total} cases` : "";
  const lines = [`model ${doc.model.id} ${doc.model.version}${shard} · ${doc.cases.length} case${doc.cases.length === 1 ? "" : "s"}: ${scored} scored, ${failed} failed`, ""];
  if (doc.table.length) {
    const rows = [["site", "n", "failed", "adapter", "base", "with adapter", "gain", "gain 95% CI", "trained on"]];
    for (const r of doc.table) {
      const ci = r.gain?.ci95 ? `${formatGain(r.gain.ci95[0])} to ${formatGain(r.gain.ci95[1])}` : "—";
      rows.push([r.site, String(r.n), String(r.failed), r.adapter ?? "—", formatMeanSd(r.base.mean, r.base.sd), r.adapted ? formatMeanSd(r.adapted.mean, r.adapted.sd) : "—", r.gain ? formatMeanSd(r.gain.mean, r.gain.sd, true) : "—", ci, String(r.trainedOn)]);
    }
    lines.push(
      columns(rows), "",
      `Dice: mean over ${doc.classes.join(", ")} per case, then mean ± sd over a site's cases; gain = adapter - base, paired per case, with its 95% bootstrap interval (${BOOTSTRAP_RESAMPLES} resamples, seeded).`,
      ...(doc.table.some((r) => r.trainedOn) ? ["Cases the site's adapter learnt from (trained on) are scored but left out of n and every figure: each row is judged on cases its adapter never saw."] : []),
    );
    const beyond = [["site", "|vol err| % base", "with adapter", "HD95 mm base", "with adapter"]];
    for (const r of doc.table) {
      const v = r.absVolumeErrorPct.mean, h = r.hd95Mm.mean;
      beyond.push([r.site, formatStat(v.base.mean, v.base.sd, 1), v.adapted ? formatStat(v.adapted.mean, v.adapted.sd, 1) : "—", formatStat(h.base.mean, h.base.sd, 2), h.adapted ? formatStat(h.adapted.mean, h.adapted.sd, 2) : "—"]);
    }
    lines.push(
      "", columns(beyond, -1), "",
      "Volume error: 100·|predicted - reference|/reference per class; HD95: 95th-percentile surface distance in mm per class; each the mean over classes per case, then mean ± sd over a site's cases (lower is better).",
    );
  }
  const failures = doc.cases.filter((c) => c.error !== null);
  if (failures.length) lines.push("", "Failed cases:", ...failures.map((c) => `  ${c.id}: ${c.error}`));
  return lines.join("\n") + "\n";
}

/** One progress line per case, for logs: its scores or why it failed. */
export function caseLine(c: StudyJson["cases"][number], index: number, total: number): string {
  const head = `[${index + 1}/${total}] ${c.id}${c.trainedOn ? " (trained on: not counted)" : ""}`;
  if (c.error !== null) return `${head}: failed: ${c.error}`;
  const gain = c.adapted && c.base && c.adapted.meanDice !== null && c.base.meanDice !== null ? ` (${formatGain(c.adapted.meanDice - c.base.meanDice)})` : "";
  return `${head}: base ${formatDice(c.base?.meanDice)}${c.adapted ? `, ${c.adapter} ${formatDice(c.adapted.meanDice)}${gain}` : ""}`;
}

export const ADAPT_HELP = `Usage: siteseg adapt --image SCAN --label REFERENCE --out DIR [options]
       siteseg adapt --cases LIST.csv|FOLDER [--train-on ID,...] --out DIR [options]

Trains a site adapter (LoRA on the frozen base) from a few labelled slices of one scan, or of
several cases of a site, then scores the base and the new adapter on the slices it was not
trained on (score the site's other cases with siteseg study --adapter SITE=DIR). DIR receives
adapter_config.json and adapter_model.safetensors (Hugging Face PEFT layout, with the training
slices and provenance in the config): use it with --adapter DIR, and --holdout DIR to score only
the slices it never saw.

Options:
  --image SCAN       the site's scan (required); repeat it for other contrasts of the site on the
                     same grid and reference (trained together, as the spm152 adapter)
  --label REFERENCE  its reference label map (required)
  --cases LIST|DIR   instead of --image/--label: several cases of one site, as siteseg study reads
                     them (a case-list CSV or a folder paired by name); slices are chosen in each
                     case and every case (id, sha256, slices) is recorded in adapter_config.json
  --train-on ID,...  train on these cases of --cases only (case id or its last part); the others
                     are left for scoring
  --out DIR          where to write the adapter (required)
  --convention ID    classes or a table the model's manifest lists (default: guessed)
  --slices A,B,...   the scan's axial slices to train on (default: --n-slices spread over the brain)
  --n-slices N       how many slices to choose per case, split over its images (default: 10)
  --gap N            held-out slices lie more than N slices from every training slice (default: 5)
  --rank R           LoRA rank (default: 2); --alpha A (default: 2 * rank)
  --steps N          training steps of 8 random 128x128 crops (default: 300)
  --lr X             AdamW learning rate (default: 0.003)
  --zoom Z           each crop resampled by a factor in [1/(1+Z), 1+Z] (anatomy of other sizes;
                     default: the recipe's, 0 = off); --gain-jitter G: intensities x U(1-G, 1+G)
  --seed N           random seed (default: 0)
  --site NAME        the adapter's site name (default: DIR's name)
  --model DIR        model folder (default: the shipped siteseg-tissue model)
  --threads N        CPU threads (default: up to 4)
  --json             print one JSON object on stdout
  -h, --help         show this help
`;
