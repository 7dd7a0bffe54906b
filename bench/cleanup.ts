// Mask cleanup (issue 27 part 3) on every real scan the tests use: the shipped model's mask (the
// CLI's default options, onnxruntime-node) before and after cleanupMask. Per scan: mask voxels
// outside the reference brain (any non-zero reference label, on the scan's grid) dilated by 2
// voxels (a 5×5×5 cube), and the mean Dice `siteseg evaluate` reports. Prints a markdown table.
// Then the scans with a brain but no tissue reference (lesion and tumour cases: their brain mask,
// or the brain-extracted image's non-zero voxels): the default cleanup's effect on tissue outside
// the brain, and what it removed inside it (tissue it should not have taken). A second table.
// Run: nice npx tsx bench/cleanup.ts   (SITESEG_DATA as for the tests; scans missing are skipped)
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { readVolume } from "../src/core/io";
import { loadModel } from "../src/core/manifest";
import { alignReference, evaluateAligned } from "../src/core/metrics/evaluate";
import { passOptions, segment } from "../src/core/pipeline/segment";
import { cleanupMask, type CleanupOptions } from "../src/core/postprocess/cleanup";
import { dilatedReference, OUTSIDE_MARGIN_VOXELS } from "../src/core/metrics/outside";
import { conventionFor, modelFiles } from "../src/cli/common";
import { createNodeRunner } from "../src/runtime/ort-node";
import { dataPath, hasData } from "../src/test/data";
import { loadAverage, machine } from "./machine";

const SCANS: { name: string; image: string; label: string; convention?: string }[] = [
  { name: "niivue_fs T1", image: "niivue_fs/norm.mgz", label: "niivue_fs/aparc.a2009s+aseg.mgz" },
  { name: "torchio_fpg T2", image: "torchio_fpg/t2.nii.gz", label: "torchio_fpg/t1_seg_gif.nii.gz", convention: "gif" },
  { name: "spm152 T1", image: "spm152/avg152T1.nii", label: "spm152/tissue.nii.gz", convention: "classes" },
  { name: "spm152 T2", image: "spm152/avg152T2.nii", label: "spm152/tissue.nii.gz", convention: "classes" },
  ...["GA23_notoperated", "GA28_operated", "GA31_operated"].map((c) => ({ name: `fetal ${c}`, image: `fetal_sb/${c}/srr.nii.gz`, label: `fetal_sb/${c}/parcellation.nii.gz`, convention: "feta" })),
];

/** Scans with a brain, not tissue: `brain` a mask, or the image itself when it is brain-extracted; `lesion` the lesion or tumour mask. */
const BRAIN_SCANS: { name: string; image: string; brain: string; lesion: string }[] = [
  ...["07", "19"].flatMap((p) => ["T1", "T1POST", "T2", "FLAIR"].map((c) => ({ name: `open_ms patient${p} ${c}`, image: `open_ms_mni/patient${p}/${c}.nii.gz`, brain: `open_ms_mni/patient${p}/${c}.nii.gz`, lesion: `open_ms_mni/patient${p}/GOLD.nii.gz` }))),
  ...[1, 2, 3, 4, 5].flatMap((p) => ["Flair", "T1c"].map((c) => {
    const dir = `brats_deepmedic/brats_2013_pat000${p}_1`;
    return { name: `brats pat${p} ${c}`, image: `${dir}/${c}_subtrMeanDivStd.nii.gz`, brain: `${dir}/brainmask.nii.gz`, lesion: `${dir}/OTMultiClass.nii.gz` };
  })),
];

const VARIANTS: [string, CleanupOptions][] = [
  ["largest (6-conn, the default)", { keep: "largest" }],
  ["largest, 26-conn", { keep: "largest", connectivity: 26 }],
  ["largest + fill holes", { keep: "largest", fillHoles: true }],
  ["open 2 mm + largest + fill", { keep: "largest", openMm: 2, fillHoles: true }],
  ["open 3 mm + largest + fill", { keep: "largest", openMm: 3, fillHoles: true }],
];

const read = (p: string) => readVolume(new Uint8Array(readFileSync(dataPath(p))), p);

const outside = (labels: Uint8Array, brain: Uint8Array) => labels.reduce((s, v, i) => s + (v && !brain[i] ? 1 : 0), 0);

const root = resolve(import.meta.dirname, "..");
// the times below are of this machine at this load (uptime's averages, before and after)
const loadBefore = loadAverage();
const { manifest, onnx } = await loadModel(modelFiles(resolve(root, "public/models/siteseg-tissue")));
const runner = await createNodeRunner(onnx, 2);
const classNames = manifest.classes.map((c) => c.name);
const rows: string[] = [];
for (const s of SCANS) {
  if (!hasData(s.image, s.label)) {
    process.stderr.write(`skipped ${s.name}: ${s.image} or ${s.label} missing\n`);
    continue;
  }
  const scan = read(s.image), reference = read(s.label);
  // the CLI's default passes, without the manifest's own cleanup: the variants below are applied to the model's mask as it came
  const { labels } = await segment(scan, manifest, runner, { options: passOptions(manifest).filter((id) => manifest.inference.options.find((o) => o.id === id)?.kind !== "cleanup") });
  const aligned = alignReference(reference, labels, conventionFor(s.convention, reference, manifest).convention);
  const dice = (data: Uint8Array) => evaluateAligned({ ...labels, data }, aligned, "classes", classNames).meanDice ?? NaN;
  const brain = dilatedReference(reference, labels, OUTSIDE_MARGIN_VOXELS);
  const row = (cells: (string | number)[]) => {
    rows.push(`| ${cells.join(" | ")} |`);
    process.stderr.write(`${rows.at(-1)}\n`);
  };
  row([`${s.name} (${labels.dims.join("×")})`, "none", outside(labels.data, brain), "", "", dice(labels.data).toFixed(4), ""]);
  for (const [name, opts] of VARIANTS) {
    const t0 = performance.now();
    const r = cleanupMask(labels, opts);
    const ms = performance.now() - t0;
    // components found, and the second-largest as a share of the largest: what keepFraction must stay above
    const found = `${r.components}, 2nd ${((100 * r.secondLargest) / r.largest).toFixed(2)}%`;
    row(["", name, outside(r.labels, brain), `${r.removed.voxels} / ${r.removed.ml.toFixed(1)} / ${r.removed.fragments}`, r.filled.voxels, dice(r.labels).toFixed(4), `${found}; ${ms.toFixed(0)} ms`]);
  }
}
const table = (head: string[], body: string[]) => [`| ${head.join(" | ")} |`, `|${head.map(() => " --- ").join("|")}|`, ...body].join("\n");
console.log(`${machine()}; load ${loadBefore} before, ${loadAverage()} after the first table\n`);
console.log(table(["scan (grid)", "cleanup", "mask voxels outside brain + 2", "removed vox / mL / pieces", "filled vox", "mean Dice", "components, 2nd-largest / largest; time"], rows));

// the manifest's own cleanup (its options) on the scans with a brain but no tissue reference
const cleanupOption = manifest.inference.options.find((o): o is Extract<typeof o, { kind: "cleanup" }> => o.kind === "cleanup");
const brainRows: string[] = [];
for (const s of cleanupOption ? BRAIN_SCANS : []) {
  if (!hasData(s.image, s.brain, s.lesion)) {
    process.stderr.write(`skipped ${s.name}: ${s.image}, ${s.brain} or ${s.lesion} missing\n`);
    continue;
  }
  const scan = read(s.image), brainVolume = s.brain === s.image ? scan : read(s.brain);
  const { labels } = await segment(scan, manifest, runner, { options: passOptions(manifest).filter((id) => id !== cleanupOption!.id) });
  const r = cleanupMask(labels, cleanupOption!);
  const near = dilatedReference(brainVolume, labels, OUTSIDE_MARGIN_VOXELS), inside = dilatedReference(brainVolume, labels, 0);
  const lesion = dilatedReference(read(s.lesion), labels, 0);
  // voxels within `where` that the cleanup took away, or gave a class
  const removedIn = (where: Uint8Array) => labels.data.reduce((n, v, i) => n + (v && !r.labels[i] && where[i] ? 1 : 0), 0);
  const filledIn = (where: Uint8Array) => labels.data.reduce((n, v, i) => n + (!v && r.labels[i] && where[i] ? 1 : 0), 0);
  brainRows.push(`| ${[`${s.name} (${labels.dims.join("×")})`, `${outside(labels.data, near)} → ${outside(r.labels, near)}`, `${r.removed.voxels} / ${r.removed.ml.toFixed(1)} / ${r.removed.fragments}`, removedIn(inside), removedIn(lesion), r.filled.voxels, filledIn(lesion)].join(" | ")} |`);
  process.stderr.write(`${brainRows.at(-1)}\n`);
}
await runner.dispose();
if (brainRows.length) console.log(`\n${table(["scan (grid)", "mask voxels outside brain + 2, without → with", "removed vox / mL / pieces", "of them inside the brain", "of them in the lesion / tumour", "filled vox", "of them in the lesion / tumour"], brainRows)}`);
