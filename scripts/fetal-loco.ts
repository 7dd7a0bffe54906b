/**
 * Leave-cases-out on the fetal site (../shared/data/fetal_sb): adapters learnt from a few cases,
 * scored on a fixed set of held-out cases they never saw, through the same core code as
 * `siteseg adapt --cases` and `siteseg study`. The model card's recipe search (issue 23 part 3)
 * and data-efficiency grid (part 4) come from here.
 *
 *   npx tsx scripts/fetal-loco.ts recipe [--steps 300 --lr 3e-3 --rank 2 ...]   3 cases x 10 slices, 3 seeds x 3 case choices
 *   npx tsx scripts/fetal-loco.ts grid   [same overrides]                      1,2,3,5 cases x 2,5,10 slices, 3 seeds
 *   npx tsx scripts/fetal-loco.ts summary [--tag T]                           the grid's JSON lines -> the model card's data-efficiency-fetal.json
 *
 * The grid resumes: a (cases, slices, seed) already in its output file is not run again.
 * Writes JSON lines to bench/results/fetal-loco-<mode>.jsonl (one per adapter) and prints a summary.
 * FETAL_THREADS sets onnxruntime's threads (default 1: it runs beside other work).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { adaptSite, TRAIN_DEFAULTS, type AdaptCase, type TrainOptions } from "../src/core/adapt";
import { loadAdapter } from "../src/core/adapters";
import { readVolume } from "../src/core/io";
import { loadModel, loadTrainStep } from "../src/core/manifest";
import { alignReference, evaluateAligned, type AlignedReference } from "../src/core/metrics/evaluate";
import { resolveConvention } from "../src/core/metrics/conventions";
import { segment } from "../src/core/pipeline/segment";
import { efficiencySvg, parseDataEfficiency } from "../src/core/study/report";
import type { Tensor } from "../src/core/pipeline/runner";
import type { Volume } from "../src/core/volume/types";
import { createNodeRunner } from "../src/runtime/ort-node";
import { DATA_DIR } from "../src/test/data";

const root = resolve(import.meta.dirname, "..");
const modelDir = resolve(root, process.env.FETAL_MODEL ?? "public/models/siteseg-tissue");
const threads = Number(process.env.FETAL_THREADS ?? 1);

/** The site's 15 volumes, one per gestational age. */
export const FETAL_CASES = [
  "GA21_notoperated", "GA22_notoperated", "GA23_notoperated", "GA24_notoperated", "GA25_notoperated", "GA25_operated", "GA26_operated",
  "GA27_operated", "GA28_operated", "GA29_operated", "GA30_operated", "GA31_operated", "GA32_operated", "GA33_operated", "GA34_operated",
];
/** Fixed held-out cases (every other age, both ends): every adapter is scored on these and never trained on them. */
export const HELD_OUT = ["GA21_notoperated", "GA23_notoperated", "GA25_notoperated", "GA26_operated", "GA28_operated", "GA30_operated", "GA32_operated", "GA34_operated"];
/** The pool training cases are drawn from. */
export const POOL = FETAL_CASES.filter((c) => !HELD_OUT.includes(c));

const { values: o, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    steps: { type: "string" }, lr: { type: "string" }, rank: { type: "string" }, alpha: { type: "string" }, anchor: { type: "string" },
    "weight-decay": { type: "string" }, freeze: { type: "string" }, crop: { type: "string" }, batch: { type: "string" }, zoom: { type: "string" }, gain: { type: "string" },
    seeds: { type: "string" }, only: { type: "string" }, cases: { type: "string" }, slices: { type: "string" }, tag: { type: "string" },
  },
});
const mode = positionals[0] ?? "recipe";
const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const recipe: Partial<TrainOptions> = Object.fromEntries(
  Object.entries({
    steps: num(o.steps), lr: num(o.lr), rank: num(o.rank), alpha: num(o.alpha) ?? (o.rank ? 2 * Number(o.rank) : undefined), anchor: num(o.anchor),
    weightDecay: num(o["weight-decay"]), zoom: num(o.zoom), gainJitter: num(o.gain), crop: num(o.crop), batch: num(o.batch), frozen: o.freeze?.split(","),
  }).filter(([, v]) => v !== undefined),
);

const outDir = resolve(root, "bench/results");
mkdirSync(outDir, { recursive: true });
const outFile = resolve(outDir, `fetal-loco-${mode === "summary" ? "grid" : mode}${o.tag ? `-${o.tag}` : ""}.jsonl`);
interface Row { trainCases: string[]; nSlices: number; seed: number; base: number; adapter: number; recipe: Record<string, unknown> }
const done: Row[] = existsSync(outFile) ? readFileSync(outFile, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
if (mode === "summary") {
  // one cell per (cases, slices per case): its runs, mean and sample sd over seeds
  const cells = new Map<string, Row[]>();
  for (const r of done) cells.set(`${r.trainCases.length}x${r.nSlices}`, [...(cells.get(`${r.trainCases.length}x${r.nSlices}`) ?? []), r]);
  const stat = (xs: number[]) => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return { mean, sd: xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) : null };
  };
  const doc = {
    site: "fetal_sb", date: new Date().toISOString(), command: `npx tsx scripts/fetal-loco.ts grid${o.tag ? ` --tag ${o.tag}` : ""}`,
    recipe: done[0]?.recipe ?? null, base: done[0]?.base ?? null, heldOut: HELD_OUT, pool: POOL,
    cells: [...cells.values()].map((runs) => ({
      cases: runs[0].trainCases.length, slicesPerCase: runs[0].nSlices,
      runs: runs.map((r) => ({ seed: r.seed, trainCases: r.trainCases, dice: r.adapter })), ...stat(runs.map((r) => r.adapter)),
    })).sort((a, b) => a.cases - b.cases || a.slicesPerCase - b.slicesPerCase),
  };
  const target = resolve(root, "public/models/siteseg-tissue/data-efficiency-fetal.json");
  writeFileSync(target, JSON.stringify(doc, null, 1) + "\n");
  // the model card's figure: the report's own chart, with the report's chart styles inlined
  const style = "<style>text{font-family:sans-serif}.grid{stroke:#e2e8f0}.tick{font-size:9px;fill:#475569}.axis{font-size:10px;fill:#334155}.legend text{font-size:10px;fill:#334155}.baseline{stroke:#334155;stroke-width:1.2;stroke-dasharray:5 4}</style>";
  const svg = efficiencySvg(parseDataEfficiency(doc)).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" style="background:#fff" ').replace(/(<svg[^>]*>)/, `$1${style}`);
  writeFileSync(target.replace(/\.json$/, ".svg"), svg);
  // the model card's table: cells by cases (rows) and slices per case (columns); slices actually used in brackets
  const per = (r: Row & { slices?: number[][] }) => (r.slices ? r.slices.reduce((a, c) => a + c.length, 0) : NaN);
  const slicesAsked = [...new Set(doc.cells.map((c) => c.slicesPerCase))].sort((a, b) => a - b);
  console.log(`| training cases | ${slicesAsked.map((n) => `${n} slices asked per case`).join(" | ")} |`);
  console.log(`| --- | ${slicesAsked.map(() => "---").join(" | ")} |`);
  for (const k of [...new Set(doc.cells.map((c) => c.cases))].sort((a, b) => a - b)) {
    const cell = (n: number) => {
      const c = doc.cells.find((x) => x.cases === k && x.slicesPerCase === n);
      if (!c) return "not run";
      const used = done.filter((r) => r.trainCases.length === k && r.nSlices === n).map(per);
      return `${c.mean.toFixed(3)}${c.sd !== null ? ` ± ${c.sd.toFixed(3)}` : ""} (${c.runs.length} run${c.runs.length > 1 ? "s" : ""}; ${Math.min(...used)}–${Math.max(...used)} slices)`;
    };
    console.log(`| ${k} | ${slicesAsked.map(cell).join(" | ")} |`);
  }
  console.log(`-> ${target} and .svg`);
  process.exit(0);
}

const { manifest, onnx } = await loadModel(async (p) => new Uint8Array(readFileSync(resolve(modelDir, p))));
const runner = await createNodeRunner(onnx, threads);
const trainStep = await createNodeRunner(await loadTrainStep(async (p) => new Uint8Array(readFileSync(resolve(modelDir, p))), manifest), threads);
const names = manifest.classes.map((c) => c.name);
const feta = resolveConvention(manifest, "feta");

interface Loaded {
  id: string;
  scan: Volume;
  reference: Volume;
  aligned: AlignedReference;
}
const loaded = new Map<string, Loaded>();
function load(id: string): Loaded {
  let l = loaded.get(id);
  if (!l) {
    const read = (f: string) => readVolume(new Uint8Array(readFileSync(resolve(DATA_DIR, "fetal_sb", id, f))), `${id}/${f}`);
    const scan = read("srr.nii.gz"), reference = read("parcellation.nii.gz");
    loaded.set(id, (l = { id, scan, reference, aligned: alignReference(reference, scan, feta) }));
  }
  return l;
}

const score = async (c: Loaded, feeds?: Record<string, Tensor>) => {
  const labels = (await segment(c.scan, manifest, runner, { adapterFeeds: feeds })).labels;
  return evaluateAligned(labels, c.aligned, "feta", names).meanDice ?? NaN;
};
const baseScores = new Map<string, number>();
for (const id of HELD_OUT) baseScores.set(id, await score(load(id)));

/** Seeded choice of k pool cases: a different draw per (k, choice). */
function choose(k: number, choice: number): string[] {
  let a = (k * 7919 + choice * 104729) >>> 0;
  const rand = () => ((a = (Math.imul(a, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const pool = [...POOL];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, k).sort();
}

async function run(trainIds: string[], nSlices: number, seed: number) {
  const cases: AdaptCase[] = trainIds.map((id) => {
    const c = load(id);
    return { id, scans: [c.scan], reference: c.reference, convention: "feta", images: [id], sourceSha256: [""] };
  });
  const [head, ...more] = cases;
  const t0 = performance.now();
  const result = await adaptSite({
    caseId: head.id, scan: head.scans[0], reference: head.reference, convention: "feta", moreCases: more, manifest, nSlices,
    train: { ...recipe, seed }, trainStep, model: runner, scoreAgainst: null,
    segment: async (s, feeds) => (await segment(s, manifest, runner, { adapterFeeds: feeds })).labels,
    site: "fetal", description: "fetal-loco", images: head.images, sourceSha256: head.sourceSha256, tool: "fetal-loco",
  });
  const trainMs = performance.now() - t0;
  const adapter = loadAdapter("fetal", result.files.config, result.files.weights, manifest);
  const perCase: Record<string, { base: number; adapter: number }> = {};
  for (const id of HELD_OUT) perCase[id] = { base: baseScores.get(id)!, adapter: await score(load(id), adapter.feeds) };
  const vals = Object.values(perCase);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const row = {
    mode, tag: o.tag ?? null, recipe: { ...TRAIN_DEFAULTS, ...recipe, seed }, trainCases: trainIds, nSlices, seed,
    slices: result.cases.map((c) => c.indices), trainMs: Math.round(trainMs), finalLoss: result.losses.at(-1),
    base: mean(vals.map((v) => v.base)), adapter: mean(vals.map((v) => v.adapter)), perCase,
  };
  appendFileSync(outFile, JSON.stringify(row) + "\n");
  console.log(`${trainIds.join("+")} x${nSlices} seed ${seed}: base ${row.base.toFixed(3)} -> adapter ${row.adapter.toFixed(3)} (${(trainMs / 1000).toFixed(0)} s)`);
  return row;
}

const seeds = (o.seeds ?? "0,1,2").split(",").map(Number);
const rows = [];
if (mode === "recipe") {
  // 3 seeds x 3 training-case choices, 3 cases x 10 slices: the target's protocol
  // --only I: just the I-th run (seed I with case choice I), to probe one hard draw
  for (let i = 0; i < seeds.length; i++) if (o.only === undefined || Number(o.only) === i) rows.push(await run(choose(num(o.cases) ?? 3, i), num(o.slices) ?? 10, seeds[i]));
} else if (mode === "grid") {
  for (const k of (o.cases ?? "1,2,3,5").split(",").map(Number))
    for (const n of (o.slices ?? "2,5,10").split(",").map(Number))
      for (let i = 0; i < seeds.length; i++) {
        if (o.only !== undefined && Number(o.only) !== i) continue; // another process runs the others
        const prior = done.find((r) => r.trainCases.length === k && r.nSlices === n && r.seed === seeds[i]);
        rows.push(prior ?? (await run(choose(k, i), n, seeds[i])));
      }
} else throw new Error(`mode is recipe or grid, got ${mode}`);
const m = rows.map((r) => r.adapter);
const mu = m.reduce((s, x) => s + x, 0) / m.length;
const sd = Math.sqrt(m.reduce((s, x) => s + (x - mu) ** 2, 0) / Math.max(1, m.length - 1));
console.log(`mean held-out Dice over ${rows.length} adapters: ${mu.toFixed(3)} ± ${sd.toFixed(3)} (base ${rows[0]?.base.toFixed(3)}); ${outFile}`);
await runner.dispose();
await trainStep.dispose();
