// Measures how much labelled data an adapter needs, and whether `siteseg adapt` (TypeScript,
// train-step graph) matches the Python-trained shipped adapters, by running the real CLI on each
// real site in ../shared/data (both draw the same adapter start and batches: one seeded stream, see
// training/batch_fixture.py). Writes the model card's tables to stdout and the numbers to
// public/models/siteseg-tissue/adapt-table.json (training/plot_efficiency.py draws the PNG).
//   npx tsx scripts/adapt-table.ts [--threads 2] > /tmp/adapt.md
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DATA_DIR } from "../src/test/data";

const root = resolve(import.meta.dirname, "..");
const threads = process.argv.includes("--threads") ? process.argv[process.argv.indexOf("--threads") + 1] : "2";
// The real sites; each shipped adapter's recipe (labelled slices in all, steps, lr, anchor) is read
// from its adapter_config.json, as training/adapters.sh trained it.
const recipe = (site: string) => JSON.parse(readFileSync(resolve(root, "public/models/siteseg-tissue/adapters", site, "adapter_config.json"), "utf8")).recipe as { max_slices: number; steps: number; lr: number; anchor: number };
const SITES = [
  { site: "niivue-t1", images: ["niivue_fs/norm.mgz"], label: "niivue_fs/aparc.a2009s+aseg.mgz", convention: "freesurfer", sweep: [1, 2, 5, 10, 20] },
  { site: "fpg-t2", images: ["torchio_fpg/t2.nii.gz"], label: "torchio_fpg/t1_seg_gif.nii.gz", convention: "gif", sweep: [1, 2] },
  { site: "spm152", images: ["spm152/avg152T1.nii", "spm152/avg152T2.nii"], label: "spm152/tissue.nii.gz", convention: "tissue", sweep: [2, 4, 10, 20] },
].map((s) => {
  const r = recipe(s.site);
  return { ...s, n: r.max_slices, steps: r.steps, lr: r.lr, anchor: r.anchor };
});

interface HeldOut { base: number | null; adapter: number | null; slices: number }
const cli = (args: string[]) => execFileSync("node", [resolve(root, "bin/siteseg.mjs"), ...args], { encoding: "utf8", maxBuffer: 1 << 26, stdio: ["ignore", "pipe", "inherit"] });
const f = (v: number | null | undefined) => (v === null || v === undefined ? "—" : v.toFixed(3));
const tmp = mkdtempSync(join(tmpdir(), "siteseg-adapt-table-"));
const results: { site: string; image: string; n: number; steps: number; lr: number; slices: number[]; heldOut: HeldOut; python?: number | null }[] = [];

for (const s of SITES) {
  const images = s.images.map((i) => resolve(DATA_DIR, i));
  if (!images.every(existsSync)) continue;
  const label = resolve(DATA_DIR, s.label);
  const seen = new Set<string>();
  for (const n of s.sweep) {
    const out = join(tmp, `${s.site}-${n}`);
    const args = ["adapt", ...images.flatMap((i) => ["--image", i]), "--label", label, "--convention", s.convention, "--n-slices", String(n), "--steps", String(s.steps), "--lr", String(s.lr), "--anchor", String(s.anchor), "--out", out, "--threads", threads, "--json"];
    const report = JSON.parse(cli(args).trim().split("\n").at(-1)!) as { trainingSlices: { indices: number[] }; heldOut: HeldOut[] };
    // a scan holds only so many slices 2·gap+2 apart: a larger n gives the same slices again
    const key = report.trainingSlices.indices.join();
    if (seen.has(key)) continue;
    seen.add(key);
    report.heldOut.forEach((h, i) => {
      const row = { site: s.site, image: s.images[i], n, steps: s.steps, lr: s.lr, slices: report.trainingSlices.indices, heldOut: h } as (typeof results)[number];
      if (n === s.n) {
        // the Python-trained shipped adapter on its own held-out slices (the same slices: same rule)
        const ev = JSON.parse(cli(["evaluate", "--image", images[i], "--label", label, "--convention", s.convention, "--adapter", s.site, "--holdout", s.site, "--json", "--threads", threads]));
        row.python = ev.meanDice;
      }
      results.push(row);
      console.error(`${s.site} ${s.images[i]} n=${n}: held out ${h.slices} slices, base ${f(h.base)} -> adapter ${f(h.adapter)}${row.python !== undefined ? ` (python ${f(row.python)})` : ""}`);
    });
  }
}

writeFileSync(resolve(root, "public/models/siteseg-tissue/adapt-table.json"), JSON.stringify({ date: new Date().toISOString(), threads, results }, null, 2) + "\n");
console.log("| site | scan | labelled slices (per scan) | held-out slices | base | + adapter (siteseg adapt) | gain |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const r of results) {
  const gain = r.heldOut.base !== null && r.heldOut.adapter !== null ? r.heldOut.adapter - r.heldOut.base : null;
  console.log(`| ${r.site} | ${r.image} | ${r.slices.length} | ${r.heldOut.slices} | ${f(r.heldOut.base)} | ${f(r.heldOut.adapter)} | ${gain === null ? "—" : (gain >= 0 ? "+" : "") + gain.toFixed(3)} |`);
}
console.log("\n| site | scan | held-out base | shipped adapter (Python, train_adapter.py) | siteseg adapt, same recipe | difference |");
console.log("| --- | --- | --- | --- | --- | --- |");
for (const r of results.filter((x) => x.python !== undefined)) {
  const d = r.python != null && r.heldOut.adapter !== null ? r.heldOut.adapter - r.python : null;
  console.log(`| ${r.site} | ${r.image} | ${f(r.heldOut.base)} | ${f(r.python)} | ${f(r.heldOut.adapter)} | ${d === null ? "—" : (d >= 0 ? "+" : "") + d.toFixed(3)} |`);
}
