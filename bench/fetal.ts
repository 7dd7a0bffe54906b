// The fetal sample site (public/samples/fetal-sb, 8 cases) timed as a user meets it (issue 23):
// its adapter trained from 3 cases with the default recipe, in Node (adaptSite with moreCases,
// onnxruntime-node) and in headless Chromium through the app's Site study; and the study of its 8
// cases (base + its shipped adapter fetal-sb) in the app and through `siteseg study`.
// Called by bench/run.ts; `npx tsx bench/fetal.ts` runs it alone (after `vite build`) and appends
// its lines to BENCHMARKS.md. BENCH_QUICK=1: 5 steps, 2 slices a case, one case studied, nothing
// written: a smoke run of the code, not a measurement.
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { adaptSite, TRAIN_DEFAULTS, type AdaptCase } from "../src/core/adapt";
import { readVolume } from "../src/core/io";
import { loadModel, loadTrainStep, type Manifest } from "../src/core/manifest";
import { segment } from "../src/core/pipeline/segment";
import { parseSampleIndex, sampleCases } from "../src/core/samples";
import { sha256Hex } from "../src/core/sha256";
import type { StudyJson } from "../src/core/study";
import { createNodeRunner } from "../src/runtime/ort-node";
import type { InferenceRunner } from "../src/core/pipeline/runner";
import { chromiumPssMiB, withApp } from "./app-browser";
import { loadAverage, machine, QUICK } from "./machine";

const PORT = 4177;
export const FETAL_SITE = "fetal-sb";
/** The cases the adapter learns from (the Site study trains on the ticked cases sorted by id: the same order). */
export const FETAL_TRAIN = ["GA21", "GA24", "GA29op"];
const STEPS = QUICK ? 5 : TRAIN_DEFAULTS.steps;
/** The Site study's "Labelled slices per case" default, and adaptSite's. */
const N_SLICES = QUICK ? 2 : 10;

function fetalCases(root: string) {
  const samples = parseSampleIndex(JSON.parse(readFileSync(resolve(root, "public/samples/index.json"), "utf8")));
  const site = samples.find((s) => s.id === FETAL_SITE);
  if (!site) throw new Error(`public/samples/index.json has no site ${FETAL_SITE}`);
  return { convention: site.convention, cases: sampleCases(site) };
}

/** The ids of the cases studied: all eight, or one in a quick run (GA21: not one the shipped adapter learnt from). */
const studied = (root: string) => fetalCases(root).cases.map((c) => c.id).slice(0, QUICK ? 1 : undefined);

export interface NodeFetalTraining {
  cases: string[];
  slices: number;
  steps: number;
  /** From reading the first case to the adapter's files: the cases read and hashed, the train-step session, the steps. */
  ms: number;
  rssBeforeMiB: number;
  peakRssMiB: number;
  warnings: string[];
}

/** The Site study's training (its ticked cases, not scored on held-out slices) with onnxruntime-node, in this process; `model` is a session on the model (the anchor's base predictions). */
export async function nodeFetalTraining(root: string, manifest: Manifest, model: InferenceRunner, threads: number): Promise<NodeFetalTraining> {
  const samplesDir = resolve(root, "public/samples");
  const modelDir = resolve(root, "public/models/siteseg-tissue");
  const { convention, cases: all } = fetalCases(root);
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  let trainStep: Awaited<ReturnType<typeof createNodeRunner>> | null = null;
  try {
    const t0 = performance.now();
    const cases: AdaptCase[] = [];
    for (const id of FETAL_TRAIN) {
      const c = all.find((x) => x.id === id);
      if (!c) throw new Error(`${FETAL_SITE} has no case ${id}`);
      const imageBytes = new Uint8Array(readFileSync(resolve(samplesDir, c.image)));
      const reference = readVolume(new Uint8Array(readFileSync(resolve(samplesDir, c.label))), c.label);
      cases.push({ id, scans: [readVolume(imageBytes, c.image)], reference, convention, images: [c.image], sourceSha256: [await sha256Hex(imageBytes)] });
    }
    trainStep = await createNodeRunner(await loadTrainStep(async (p) => new Uint8Array(readFileSync(resolve(modelDir, p))), manifest), threads);
    const [head, ...moreCases] = cases;
    const r = await adaptSite({
      caseId: head.id, scan: head.scans[0], reference: head.reference, convention: head.convention, moreCases, nSlices: N_SLICES,
      scoreAgainst: null, train: { ...TRAIN_DEFAULTS, steps: STEPS }, manifest, trainStep, model,
      segment: async (scan, feeds) => (await segment(scan, manifest, model, { adapterFeeds: feeds })).labels,
      site: FETAL_SITE, description: "bench", images: head.images, sourceSha256: head.sourceSha256, tool: "bench",
    });
    const ms = performance.now() - t0;
    return { cases: FETAL_TRAIN, slices: r.cases.reduce((n, c) => n + c.indices.length, 0), steps: r.losses.length, ms, rssBeforeMiB: rssBefore / 2 ** 20, peakRssMiB: peakRss / 2 ** 20, warnings: r.warnings };
  } finally {
    clearInterval(sampler);
    await trainStep?.dispose();
  }
}

export interface CliFetalStudy {
  folder: string;
  cases: number;
  failed: number;
  runs: number;
  adapter: string | null;
  /** Wall time of the command, its process's start-up and session creation included. */
  ms: number;
}

/**
 * `siteseg study public/samples/fetal-sb --options none --json …` in a process of its own (a quick
 * run: a folder holding links to one case): one pass, as the app runs by default on WASM.
 */
export function cliFetalStudy(root: string, threads: number): CliFetalStudy {
  const tmp = mkdtempSync(join(tmpdir(), "siteseg-bench-"));
  try {
    let folder = resolve(root, "public/samples", FETAL_SITE);
    if (QUICK) {
      const samplesDir = resolve(root, "public/samples");
      folder = join(tmp, FETAL_SITE);
      mkdirSync(folder);
      const keep = new Set(studied(root));
      for (const c of fetalCases(root).cases.filter((x) => keep.has(x.id))) {
        for (const p of [c.image, c.label]) symlinkSync(resolve(samplesDir, p), join(folder, p.split("/").pop()!));
      }
    }
    const json = join(tmp, "study.json");
    const t0 = performance.now();
    const r = spawnSync("node", [resolve(root, "bin/siteseg.mjs"), "study", folder, "--json", json, "--threads", String(threads), "--options", "none"], { encoding: "utf8", cwd: root });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`siteseg study exited ${r.status}: ${(r.stderr || r.error?.message || "").trim().split("\n").slice(-3).join(" / ")}`);
    const doc = JSON.parse(readFileSync(json, "utf8")) as StudyJson;
    return {
      folder: QUICK ? `${FETAL_SITE} (${doc.cases.length} case)` : `public/samples/${FETAL_SITE}`,
      cases: doc.cases.length,
      failed: doc.cases.filter((c) => !c.base).length,
      runs: doc.cases.filter((c) => c.base).length + doc.cases.filter((c) => c.adapted).length,
      adapter: doc.cases[0]?.adapter ?? null,
      ms,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export interface BrowserFetal {
  training: { cases: string[]; steps: number; nSlices: number; ms: number; firstStepMs: number; idleMiB: number; peakMiB: number };
  study: { cases: number; adapter: string; ms: number; status: string };
}

/** Both through the built app in headless Chromium, each in a fresh page: the Site study's training, then the fetal study. Null when the app is not built. */
export async function browserFetal(root: string): Promise<BrowserFetal | null> {
  return withApp(root, PORT, async (open) => {
    const useSamples = async (page: Awaited<ReturnType<typeof open>>) => {
      await page.getByRole("tab", { name: "Site study" }).click();
      await page.getByRole("button", { name: "Use the sample sites" }).click();
      await page.getByLabel(`Train on ${FETAL_SITE}/${FETAL_TRAIN[0]}`).waitFor({ timeout: 60_000 });
      return page.getByRole("table", { name: "Study cases" });
    };
    const bar = (page: Awaited<ReturnType<typeof open>>, text: string) => page.getByRole("progressbar", { name: "Study progress" }).and(page.locator(`[aria-valuetext="${text}"]`));

    // Training from 3 ticked cases: from pressing the button to "<N> steps done"; the study it starts then is not timed.
    const page = await open();
    await useSamples(page);
    for (const id of FETAL_TRAIN) await page.getByLabel(`Train on ${FETAL_SITE}/${id}`).check();
    const panel = page.getByRole("group", { name: "Train a site adapter" });
    await panel.getByLabel("Labelled slices per case").fill(String(N_SLICES));
    await panel.getByLabel("Training steps").fill(String(STEPS));
    const progress = page.getByRole("progressbar", { name: "Study training progress" });
    const idleMiB = chromiumPssMiB();
    let peakMiB = idleMiB;
    const poll = setInterval(() => (peakMiB = Math.max(peakMiB, chromiumPssMiB())), 500);
    let training: BrowserFetal["training"];
    try {
      const t0 = Date.now();
      await panel.getByRole("button", { name: `Train ${FETAL_SITE} adapter from ${FETAL_TRAIN.length} cases` }).click();
      // the first step reported ends the set-up (the cases read and hashed, their slices onto the model's grid, the training graph's session)
      const ended = `[aria-valuetext$=" steps done"], [aria-valuetext="Training failed"], [aria-valuetext^="Cancelled"]`;
      await progress.and(page.locator(`[aria-valuetext^="Step "], [aria-valuetext="Saving the adapter…"], ${ended}`)).waitFor({ timeout: 1_800_000 });
      const firstStepMs = Date.now() - t0;
      await progress.and(page.locator(ended)).waitFor({ timeout: 1_800_000 });
      const ms = Date.now() - t0;
      const text = await progress.getAttribute("aria-valuetext");
      if (text !== `${STEPS} steps done`) throw new Error(`the Site study's training ended with "${text}"`);
      training = { cases: FETAL_TRAIN, steps: STEPS, nSlices: N_SLICES, ms, firstStepMs, idleMiB, peakMiB };
    } finally {
      clearInterval(poll);
    }
    await page.close();

    // The fetal study: the other sites' cases removed (and, in a quick run, all fetal cases but one), Run study to "<n> cases done".
    const study = await open();
    const cases = await useSamples(study);
    const keep = studied(root).map((id) => `${FETAL_SITE}/${id}`);
    const total = (await cases.getByRole("button", { name: /^Remove / }).all()).length;
    await bar(study, `${total} cases ready`).waitFor({ timeout: 120_000 });
    for (const label of await cases.getByRole("button", { name: /^Remove / }).evaluateAll((els) => els.map((e) => e.getAttribute("aria-label") ?? ""))) {
      if (!keep.includes(label.replace(/^Remove /, ""))) await cases.getByRole("button", { name: label, exact: true }).click();
    }
    await bar(study, `${keep.length} cases ready`).waitFor({ timeout: 60_000 });
    const adapter = await study.getByLabel(`Adapter for ${FETAL_SITE}`).inputValue();
    const t0 = Date.now();
    await study.getByRole("button", { name: "Run study" }).click();
    const status = `${keep.length} cases done`;
    await bar(study, status).waitFor({ timeout: 1_800_000 });
    return { training, study: { cases: keep.length, adapter, ms: Date.now() - t0, status } };
  });
}

export interface FetalBench {
  node: NodeFetalTraining | null;
  cli: CliFetalStudy | null;
  browser: BrowserFetal | null;
}

/** The lines bench/run.ts (and this file alone) writes to BENCHMARKS.md. */
export function fetalLines({ node, cli, browser }: FetalBench, threads: number): string[] {
  const s = (ms: number) => (ms / 1000).toFixed(1);
  const recipe = `${QUICK ? "the smoke run's recipe" : "default recipe"}: ${N_SLICES} slices a case, ${STEPS} steps of ${TRAIN_DEFAULTS.batch} crops of ${TRAIN_DEFAULTS.crop}², not scored on held-out slices, as the Site study trains`;
  return [
    ...(QUICK ? ["BENCH_QUICK=1: a smoke run of the code (few steps, one case studied); the numbers below are not measurements.", ""] : []),
    node
      ? `Adapter training from ${node.cases.length} cases of the fetal sample site (${FETAL_SITE}: ${node.cases.join(", ")}; ${recipe}; ${node.slices} slices in all) with onnxruntime-node, ${threads} threads: ${s(node.ms)} s (the cases read and hashed, the train-step session, ${node.steps} steps); peak RSS of the process ${node.peakRssMiB.toFixed(0)} MiB (${node.rssBeforeMiB.toFixed(0)} MiB before).${node.warnings.length ? ` Warnings: ${node.warnings.join("; ")}.` : ""}`
      : "Fetal adapter training in Node: not measured (it failed; see the run's output).",
    "",
    browser
      ? `The same in headless Chromium through the app (WASM; Site study, Use the sample sites, ${browser.training.cases.length} cases ticked, "Train ${FETAL_SITE} adapter from ${browser.training.cases.length} cases", ${browser.training.nSlices} labelled slices per case): ${browser.training.steps} steps in ${s(browser.training.ms)} s from pressing it to "${browser.training.steps} steps done" (the first step after ${s(browser.training.firstStepMs)} s of set-up)${node ? `, ${(browser.training.ms / node.ms).toFixed(1)}× Node's time` : ""}; Chromium's memory (PSS of all its processes) ${browser.training.idleMiB.toFixed(0)} MiB before, peak ${browser.training.peakMiB.toFixed(0)} MiB while training.`
      : "Fetal adapter training in headless Chromium: not measured (build the app with `npm run build` and install Chromium).",
    "",
    `The fetal sample study (${FETAL_SITE}, base + its adapter ${FETAL_SITE} on each case):` +
      (browser ? ` in headless Chromium (Site study, Use the sample sites, the other sites' cases removed, adapter "${browser.study.adapter}", Run study to "${browser.study.status}") ${s(browser.study.ms)} s;` : " headless Chromium not measured;") +
      (cli
        ? ` \`siteseg study ${cli.folder} --options none\` (one pass, as the app on WASM; ${cli.cases} cases, ${cli.runs} runs${cli.failed ? `, ${cli.failed} failed` : ""}, adapter ${cli.adapter}; ${threads} threads, its own process, start-up and session included) ${s(cli.ms)} s${browser ? ` (the browser ${(browser.study.ms / cli.ms).toFixed(1)}× it)` : ""}.`
        : " the CLI not measured (it failed; see the run's output)."),
    "",
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = resolve(import.meta.dirname, "..");
  const threads = Number(process.env.BENCH_THREADS ?? 2);
  const loadBefore = loadAverage();
  const modelDir = resolve(root, "public/models/siteseg-tissue");
  const { manifest, onnx } = await loadModel(async (p) => new Uint8Array(readFileSync(resolve(modelDir, p))));
  const runner = await createNodeRunner(onnx, threads);
  const warn = (what: string) => (e: unknown) => (console.warn(`${what} failed:`, e), null);
  const node = await nodeFetalTraining(root, manifest, runner, threads).catch(warn("fetal training in Node"));
  await runner.dispose();
  console.log({ node });
  let cli: CliFetalStudy | null = null;
  try {
    cli = cliFetalStudy(root, threads);
  } catch (e) {
    warn("fetal study through the CLI")(e);
  }
  console.log({ cli });
  const browser = await browserFetal(root).catch(warn("fetal bench in Chromium"));
  console.log(JSON.stringify({ browser }));
  const date = new Date().toISOString();
  const load = { before: loadBefore, after: loadAverage() };
  const lines = [`\n## ${date.slice(0, 10)} — the fetal sample site (\`npx tsx bench/fetal.ts\`), ${machine()}`, "", `Machine load (uptime's 1, 5, 15 minute load averages): ${load.before} before the run, ${load.after} after.`, "", ...fetalLines({ node, cli, browser }, threads)];
  console.log(lines.join("\n"));
  if (!QUICK) {
    mkdirSync(resolve(root, "bench/results"), { recursive: true });
    writeFileSync(resolve(root, `bench/results/${date.slice(0, 19).replace(/:/g, "-")}-fetal.json`), JSON.stringify({ date, machine: machine(), threads, load, fetal: { node, cli, browser } }, null, 2));
    appendFileSync(resolve(root, "BENCHMARKS.md"), lines.join("\n"));
  }
}
