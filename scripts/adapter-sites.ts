// Each shipped adapter on each scan of its site, base vs adapter (the model card's table): does an
// adapter help the contrast it learnt and leave the site's other contrasts alone? Runs the real
// CLI. Scans on the adapter's own grid are scored on its held-out slices; scans of the same
// subject on another grid (the synthetic samples made from the niivue label map) on the whole
// volume. The SPM PD template is not in ../shared/data: pass its path (SPM12's
// canonical/avg152PD.nii) to add that row.
//   npx tsx scripts/adapter-sites.ts [--pd /path/to/avg152PD.nii] [--adapters DIR] > /tmp/sites.md
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { DATA_DIR } from "../src/test/data";

const root = resolve(import.meta.dirname, "..");
const arg = (flag: string) => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : undefined);
const pd = arg("--pd");
// another set of adapters (same names) to score instead of the shipped ones, e.g. a new recipe's
const adapters = arg("--adapters");
const samples = resolve(root, "public/samples");
const data = (p: string) => resolve(DATA_DIR, p);
const sample = (p: string) => resolve(samples, p);

interface Scan { name: string; image: string; label: string; convention: string; heldOut: boolean; contrast: string }
const niivueSubject = (heldOutOn: string): Scan[] => [
  { name: "niivue_fs/norm.mgz", image: data("niivue_fs/norm.mgz"), label: data("niivue_fs/aparc.a2009s+aseg.mgz"), convention: "freesurfer", heldOut: heldOutOn === "t1", contrast: "T1" },
  { name: "synth-pd/pd.nii.gz (sample)", image: sample("synth-pd/pd.nii.gz"), label: sample("synth-pd/pd_seg.nii.gz"), convention: "freesurfer", heldOut: heldOutOn === "pd", contrast: "PD (synthetic)" },
  { name: "synth-flair/flair.nii.gz (sample)", image: sample("synth-flair/flair.nii.gz"), label: sample("synth-flair/flair_seg.nii.gz"), convention: "freesurfer", heldOut: heldOutOn === "flair", contrast: "FLAIR (synthetic)" },
];
const spm = (image: string, contrast: string): Scan => ({ name: image.startsWith("/") ? "avg152PD.nii (SPM12)" : image, image: image.startsWith("/") ? image : data(image), label: data("spm152/tissue.nii.gz"), convention: "tissue", heldOut: true, contrast });
const SITES: Record<string, Scan[]> = {
  "niivue-t1": niivueSubject("t1"),
  "fpg-t2": [{ name: "torchio_fpg/t2.nii.gz", image: data("torchio_fpg/t2.nii.gz"), label: data("torchio_fpg/t1_seg_gif.nii.gz"), convention: "gif", heldOut: true, contrast: "T2" }],
  spm152: [spm("spm152/avg152T1.nii", "T1"), spm("spm152/avg152T2.nii", "T2"), ...(pd ? [spm(pd, "PD (never trained on)")] : [])],
  "synth-pd": niivueSubject("pd"),
  "synth-flair": niivueSubject("flair"),
};

const evaluate = (s: Scan, adapter: string | null, holdout: string) =>
  (JSON.parse(execFileSync("node", [resolve(root, "bin/siteseg.mjs"), "evaluate", "--image", s.image, "--label", s.label, "--convention", s.convention,
    ...(adapter ? ["--adapter", adapter] : []), ...(s.heldOut ? ["--holdout", holdout] : []), "--json", "--threads", "2"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })) as { meanDice: number }).meanDice;

console.log("| adapter | scan | contrast | scored on | base | + adapter | Δ |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const [site, scans] of Object.entries(SITES)) {
  const adapter = adapters ? resolve(adapters, site) : site;
  for (const s of scans.filter((x) => existsSync(x.image))) {
    const base = evaluate(s, null, adapter), with_ = evaluate(s, adapter, adapter);
    const d = with_ - base;
    console.log(`| ${site} | ${s.name} | ${s.contrast} | ${s.heldOut ? "held-out slices" : "whole volume"} | ${base.toFixed(3)} | ${with_.toFixed(3)} | ${d >= 0 ? "+" : "−"}${Math.abs(d).toFixed(3)} |`);
  }
}
