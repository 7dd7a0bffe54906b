// Measures the model card's Dice table by running the real CLI (npx siteseg evaluate --json)
// on every labelled scan in ../shared/data and on the synthetic samples in public/samples: base and,
// where a site has one, base + its adapter scored on the same held-out slices.
//   npx tsx scripts/dice-table.ts > /tmp/dice.md          (or name adapters: ... synth-pd synth-flair)
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { DATA_DIR } from "../src/test/data";

interface Row { site: string; image: string; label: string; convention: string; adapter?: string; samples?: boolean }
const rows: Row[] = [
  { site: "niivue-t1", image: "niivue_fs/norm.mgz", label: "niivue_fs/aparc.a2009s+aseg.mgz", convention: "freesurfer", adapter: "niivue-t1" },
  { site: "fpg-t2", image: "torchio_fpg/t2.nii.gz", label: "torchio_fpg/t1_seg_gif.nii.gz", convention: "gif", adapter: "fpg-t2" },
  { site: "spm152", image: "spm152/avg152T1.nii", label: "spm152/tissue.nii.gz", convention: "tissue", adapter: "spm152" },
  { site: "spm152", image: "spm152/avg152T2.nii", label: "spm152/tissue.nii.gz", convention: "tissue", adapter: "spm152" },
  // synthetic sample sites (training/samples.py), paths under public/samples
  { site: "synth-pd", image: "synth-pd/pd.nii.gz", label: "synth-pd/pd_seg.nii.gz", convention: "freesurfer", adapter: "synth-pd", samples: true },
  { site: "synth-flair", image: "synth-flair/flair.nii.gz", label: "synth-flair/flair_seg.nii.gz", convention: "freesurfer", adapter: "synth-flair", samples: true },
];
const root = resolve(import.meta.dirname, "..");
const dirOf = (r: Row) => (r.samples ? resolve(root, "public/samples") : DATA_DIR);
const shownDirOf = (r: Row) => (r.samples ? "public/samples" : "../shared/data");
const adapters = new Set(process.argv.slice(2).length ? process.argv.slice(2) : rows.map((r) => r.adapter));

function run(args: string[]) {
  const out = execFileSync("node", [resolve(root, "bin/siteseg.mjs"), "evaluate", ...args, "--json"], { encoding: "utf8", maxBuffer: 1 << 26 });
  return JSON.parse(out) as { dice: Record<string, number | null>; meanDice: number | null; holdout?: { scoredSlices: number[] } };
}
const f = (v: number | null | undefined) => (v === null || v === undefined ? "—" : v.toFixed(3));

console.log("| site | scan | model | scored slices | CSF | GM | WM | mean | command |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of rows) {
  const image = resolve(dirOf(r), r.image), label = resolve(dirOf(r), r.label);
  if (!existsSync(image)) continue;
  const common = ["--image", image, "--label", label, "--convention", r.convention];
  const variants: [string, string[]][] = [["base (whole volume)", []]];
  const withAdapter = r.adapter && adapters.has(r.adapter) && existsSync(resolve(root, "public/models/siteseg-tissue/adapters", r.adapter));
  if (withAdapter) variants.push(["base", ["--holdout", r.adapter!]], [`base + ${r.adapter}`, ["--adapter", r.adapter!, "--holdout", r.adapter!]]);
  for (const [name, extra] of variants) {
    const j = run([...common, ...extra]);
    const cmd = `npx siteseg evaluate --image ${shownDirOf(r)}/${r.image} --label ${shownDirOf(r)}/${r.label} --convention ${r.convention} ${extra.join(" ")}`.trim();
    const scored = j.holdout ? `${j.holdout.scoredSlices.length} held out` : "all";
    console.log(`| ${r.site} | ${r.image} | ${name} | ${scored} | ${f(j.dice.CSF)} | ${f(j.dice.GM)} | ${f(j.dice.WM)} | **${f(j.meanDice)}** | \`${cmd} --json\` |`);
  }
}
