// Contrast profiles (core/adapters/profile.ts) of every brain scan at hand, under the base model's
// own mask (what the app measures on an open scan) and under the reference where there is one, and
// the distances between them: the evidence for PROFILE_MISMATCH.
//   npx tsx scripts/contrast-profiles.ts
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { contrastFamily, contrastProfile, type ContrastProfile } from "../src/core/adapters/profile";
import { readVolume } from "../src/core/io";
import { loadModel } from "../src/core/manifest";
import { alignReference } from "../src/core/metrics/evaluate";
import { resolveConvention, type ConventionId } from "../src/core/metrics/conventions";
import { segment } from "../src/core/pipeline/segment";
import { createNodeRunner } from "../src/runtime/ort-node";
import { DATA_DIR } from "../src/test/data";

const root = resolve(import.meta.dirname, "..");
const SCANS: { name: string; contrast: string; path: string; label?: string; convention?: ConventionId }[] = [
  { name: "niivue_fs norm", contrast: "T1", path: resolve(DATA_DIR, "niivue_fs/norm.mgz"), label: resolve(DATA_DIR, "niivue_fs/aparc.a2009s+aseg.mgz"), convention: "freesurfer" },
  { name: "SPM152 T1", contrast: "T1", path: resolve(DATA_DIR, "spm152/avg152T1.nii"), label: resolve(DATA_DIR, "spm152/tissue.nii.gz"), convention: "tissue" },
  { name: "MS p07 T1", contrast: "T1", path: resolve(DATA_DIR, "open_ms_mni/patient07/T1.nii.gz") },
  { name: "MS p19 T1", contrast: "T1", path: resolve(DATA_DIR, "open_ms_mni/patient19/T1.nii.gz") },
  { name: "BraTS p1 T1c", contrast: "T1c", path: resolve(DATA_DIR, "brats_deepmedic/brats_2013_pat0001_1/T1c_subtrMeanDivStd.nii.gz") },
  { name: "fpg T2", contrast: "T2", path: resolve(DATA_DIR, "torchio_fpg/t2.nii.gz"), label: resolve(DATA_DIR, "torchio_fpg/t1_seg_gif.nii.gz"), convention: "gif" },
  { name: "SPM152 T2", contrast: "T2", path: resolve(DATA_DIR, "spm152/avg152T2.nii"), label: resolve(DATA_DIR, "spm152/tissue.nii.gz"), convention: "tissue" },
  { name: "MS p07 T2", contrast: "T2", path: resolve(DATA_DIR, "open_ms_mni/patient07/T2.nii.gz") },
  { name: "MS p19 T2", contrast: "T2", path: resolve(DATA_DIR, "open_ms_mni/patient19/T2.nii.gz") },
  { name: "MS p07 FLAIR", contrast: "FLAIR", path: resolve(DATA_DIR, "open_ms_mni/patient07/FLAIR.nii.gz") },
  { name: "MS p19 FLAIR", contrast: "FLAIR", path: resolve(DATA_DIR, "open_ms_mni/patient19/FLAIR.nii.gz") },
  { name: "BraTS p1 FLAIR", contrast: "FLAIR", path: resolve(DATA_DIR, "brats_deepmedic/brats_2013_pat0001_1/Flair_subtrMeanDivStd.nii.gz") },
  { name: "synthetic PD (sample)", contrast: "PD", path: resolve(root, "public/samples/synth-pd/pd.nii.gz"), label: resolve(root, "public/samples/synth-pd/pd_seg.nii.gz"), convention: "freesurfer" },
  { name: "synthetic FLAIR (sample)", contrast: "FLAIR", path: resolve(root, "public/samples/synth-flair/flair.nii.gz"), label: resolve(root, "public/samples/synth-flair/flair_seg.nii.gz"), convention: "freesurfer" },
];

const modelDir = resolve(root, "public/models/siteseg-tissue");
const { manifest, onnx } = await loadModel(async (p) => new Uint8Array(readFileSync(resolve(modelDir, p))));
const runner = await createNodeRunner(onnx, 2);
const names = manifest.classes.map((c) => c.name);
const read = (p: string) => readVolume(new Uint8Array(readFileSync(p)), p);
const f = (p: ContrastProfile) => names.slice(1).map((n) => (p[n] === null ? "—" : p[n]!.toFixed(2))).join(" / ");
const rows: { name: string; contrast: string; base: ContrastProfile; ref?: ContrastProfile }[] = [];
for (const s of SCANS) {
  if (!existsSync(s.path)) continue;
  const scan = read(s.path);
  const mask = (await segment(scan, manifest, runner)).labels.data;
  const row = { name: s.name, contrast: s.contrast, base: contrastProfile(scan.data, mask, names) } as (typeof rows)[number];
  if (s.label) row.ref = contrastProfile(scan.data, alignReference(read(s.label), scan, resolveConvention(manifest, s.convention!)).classes, names);
  rows.push(row);
  console.error(`${s.name}: ${f(row.base)}`);
}
await runner.dispose();
console.log(`| scan | contrast | profile CSF / GM / WM (base model's mask) | under the reference |`);
console.log(`| --- | --- | --- | --- |`);
for (const r of rows) console.log(`| ${r.name} | ${r.contrast} | ${f(r.base)} | ${r.ref ? f(r.ref) : "—"} |`);
// The family rule: how far WM − GM lies from its 0.08 boundary on each side.
const gap = (p: ContrastProfile) => (p.WM ?? NaN) - (p.GM ?? NaN);
for (const [label, pick] of [["base model's mask", (r: (typeof rows)[number]) => r.base], ["reference", (r: (typeof rows)[number]) => r.ref]] as const) {
  const measured = rows.filter((r) => pick(r));
  const t1 = measured.filter((r) => r.contrast.startsWith("T1")).map((r) => gap(pick(r)!));
  const other = measured.filter((r) => !r.contrast.startsWith("T1")).map((r) => gap(pick(r)!));
  const wrong = measured.filter((r) => (contrastFamily(pick(r)!) === "T1-like") !== r.contrast.startsWith("T1")).map((r) => r.name);
  console.log(`\nUnder the ${label}: WM − GM on T1 scans ${Math.min(...t1).toFixed(2)} to ${Math.max(...t1).toFixed(2)}, on the others ${Math.min(...other).toFixed(2)} to ${Math.max(...other).toFixed(2)}; misclassified by the family rule: ${wrong.join(", ") || "none"}.`);
}
