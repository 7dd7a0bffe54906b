// Mask cleanup (issue 27 part 3) on every real scan the tests use: the shipped model's mask (the
// CLI's default options, onnxruntime-node) before and after cleanupMask. Per scan: mask voxels
// outside the reference brain (any non-zero reference label, on the scan's grid) dilated by 2
// voxels (a 5×5×5 cube), and the mean Dice `siteseg evaluate` reports. Prints a markdown table.
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

const SCANS: { name: string; image: string; label: string; convention?: string }[] = [
  { name: "niivue_fs T1", image: "niivue_fs/norm.mgz", label: "niivue_fs/aparc.a2009s+aseg.mgz" },
  { name: "torchio_fpg T2", image: "torchio_fpg/t2.nii.gz", label: "torchio_fpg/t1_seg_gif.nii.gz", convention: "gif" },
  { name: "spm152 T1", image: "spm152/avg152T1.nii", label: "spm152/tissue.nii.gz", convention: "classes" },
  { name: "spm152 T2", image: "spm152/avg152T2.nii", label: "spm152/tissue.nii.gz", convention: "classes" },
  ...["GA23_notoperated", "GA28_operated", "GA31_operated"].map((c) => ({ name: `fetal ${c}`, image: `fetal_sb/${c}/srr.nii.gz`, label: `fetal_sb/${c}/parcellation.nii.gz`, convention: "feta" })),
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
await runner.dispose();
const head = ["scan (grid)", "cleanup", "mask voxels outside brain + 2", "removed vox / mL / pieces", "filled vox", "mean Dice", "components, 2nd-largest / largest; time"];
console.log([`| ${head.join(" | ")} |`, `|${head.map(() => " --- ").join("|")}|`, ...rows].join("\n"));
