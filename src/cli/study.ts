/** siteseg study and siteseg merge: the site study of src/core/study on the disk, with onnxruntime-node. */
import { existsSync } from "node:fs";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { ParseArgsConfig } from "node:util";
import type { Adapter } from "../core/adapters";
import { conventionsOf } from "../core/metrics/conventions";
import { enabledOptions, passOptions, segment } from "../core/pipeline/segment";
import { parseManifest, type Manifest } from "../core/manifest";
import {
  casesCsv, DATA_EFFICIENCY_FILE, mergeStudies, pairFiles, parseCaseList, parseDataEfficiency, parseShard, reportIdentities, runStudy, scoredClasses, shardCases,
  StudyError, studyCsv, studyJson, studyModel, studyReportHtml, type ReportInfo, type Shard, type StudyCase, type StudyJson,
} from "../core/study";
import { modelDirOf, ownBytes, parseInferenceOptions, parseThreads, parseWithFiles, readBytes, readModel, resolveAdapter, startRunner } from "./common";
import { describeFsError, RuntimeError, UsageError } from "./errors";
import { checkOutputs, filesIn, writeOutputs, type Output } from "./outputs";
import { caseLine, MERGE_HELP, STUDY_HELP, studyReport } from "./format";

const OUTPUT_OPTIONS = {
  json: { type: "string" },
  csv: { type: "string" },
  "cases-csv": { type: "string" },
  report: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

const MERGE_OPTIONS = {
  ...OUTPUT_OPTIONS,
  model: { type: "string" },
} as const satisfies ParseArgsConfig["options"];

const STUDY_OPTIONS = {
  ...OUTPUT_OPTIONS,
  shard: { type: "string" },
  model: { type: "string" },
  threads: { type: "string" },
  options: { type: "string" },
  "no-cleanup": { type: "boolean" },
  adapter: { type: "string", multiple: true },
} as const satisfies ParseArgsConfig["options"];

/** --adapter SITE=DIR|NAME|none, repeatable: the adapter scored for a site, over the shipped one of its name. */
function parseSiteAdapters(values: string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of values ?? []) {
    const at = v.indexOf("=");
    if (at <= 0 || at === v.length - 1) throw new UsageError(`--adapter must be SITE=DIR (an adapter folder, a shipped adapter's name, or none), got "${v}"`);
    const site = v.slice(0, at);
    if (out.has(site)) throw new UsageError(`--adapter: site ${site} is given twice`);
    out.set(site, v.slice(at + 1));
  }
  return out;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Every file under `root` as a '/'-separated relative path; symlinks followed (each folder once), hidden entries skipped. */
async function walk(root: string): Promise<string[]> {
  const files: string[] = [];
  const seen = new Set<string>();
  const visit = async (dir: string, rel: string): Promise<void> => {
    const real = await realpath(dir);
    if (seen.has(real)) return;
    seen.add(real);
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      const full = join(dir, e.name), path = rel ? `${rel}/${e.name}` : e.name;
      const s = e.isSymbolicLink() ? await stat(full).catch(() => null) : e;
      if (s?.isDirectory()) await visit(full, path);
      else if (s?.isFile()) files.push(path);
    }
  };
  await visit(root, "");
  return files;
}

/** The cases of a list file or a folder, and the folder their relative paths are read from. */
export async function loadCases(input: string, conventions: string[]): Promise<{ cases: StudyCase[]; base: string; unpaired: string[] }> {
  const info = await stat(input).catch((e: unknown) => {
    throw describeFsError(e, `read ${input}`) ?? e;
  });
  if (info.isDirectory()) {
    const { cases, unpaired } = pairFiles(await walk(input), basename(resolve(input)));
    return { cases, base: input, unpaired };
  }
  if (!/\.csv$/i.test(input)) throw new UsageError(`study takes a case list (.csv) or a folder, got "${input}"`);
  const text = new TextDecoder().decode(await readBytes(input, "case list"));
  try {
    return { cases: parseCaseList(text, conventions), base: dirname(input), unpaired: [] };
  } catch (e) {
    if (e instanceof StudyError) throw new RuntimeError(`${input}: ${e.message}`);
    throw e;
  }
}

function parseShardOption(value: string | undefined): Omit<Shard, "total"> | null {
  if (value === undefined) return null;
  try {
    return parseShard(value);
  } catch (e) {
    throw new UsageError(`--shard: ${(e as Error).message}`);
  }
}

/** --report FILE: an HTML file, refused before any work when the name says otherwise. */
function parseReportPath(value: string | undefined): string | undefined {
  if (value !== undefined && !/\.html?$/i.test(value)) throw new UsageError(`--report writes an HTML file: its name must end in .html or .htm, got "${value}"`);
  return value;
}

/** The model folder's data-efficiency table for the report: null when there is none, the reason (also a warning) when it cannot be read. */
async function readEfficiency(modelDir: string): Promise<ReportInfo["efficiency"]> {
  const path = join(modelDir, DATA_EFFICIENCY_FILE);
  if (!existsSync(path)) return null;
  try {
    return parseDataEfficiency(JSON.parse(await readFile(path, "utf8")), path);
  } catch (e) {
    const why = e instanceof StudyError ? e.message : `${path} could not be read: ${(e as Error).message}`;
    log(`siteseg: warning: ${why}; the report says so`);
    return why;
  }
}

/** What the report shows beside the study: the model's identities (when it is the study's model), the data-efficiency table, when and how it ran. */
async function reportInfo(doc: StudyJson, manifest: Manifest | null, modelDir: string, extra: Partial<ReportInfo>): Promise<ReportInfo> {
  const same = manifest !== null && manifest.id === doc.model.id && manifest.version === doc.model.version;
  if (manifest && !same) log(`siteseg: warning: the study was made with model ${doc.model.id} ${doc.model.version}, the model folder holds ${manifest.id} ${manifest.version}: the report leaves out the folder's checksums (give the study's model with --model)`);
  return {
    date: new Date().toISOString(),
    ...(same ? reportIdentities(manifest) : {}),
    efficiency: await readEfficiency(modelDir),
    ...extra,
  };
}

type OutputOptions = { json?: string; csv?: string; "cases-csv"?: string; report?: string };

/** The files asked for, as checkOutputs takes them. */
const outputsOf = (o: OutputOptions): Output[] =>
  (["json", "csv", "cases-csv", "report"] as const).flatMap((k) => (o[k] === undefined ? [] : [{ flag: `--${k}`, path: o[k] }]));

/** Writes the files asked for (all whole, or none) and prints the table; 1 when no case could be scored. */
async function report(doc: StudyJson, o: OutputOptions, info: () => Promise<ReportInfo>): Promise<number> {
  const files: { path: string; data: string }[] = [];
  if (o.json) files.push({ path: o.json, data: JSON.stringify(doc, null, 1) + "\n" });
  if (o.csv) files.push({ path: o.csv, data: studyCsv(doc.table, doc.classes) });
  if (o["cases-csv"]) files.push({ path: o["cases-csv"], data: casesCsv(doc.cases, doc.classes) });
  if (o.report) files.push({ path: o.report, data: studyReportHtml(doc, await info()) });
  await writeOutputs(files);
  process.stdout.write(studyReport(doc));
  if (doc.cases.length && doc.cases.every((c) => c.error !== null)) {
    log(`siteseg: none of the ${doc.cases.length} cases could be scored`);
    return 1;
  }
  return 0;
}

export async function studyCommand(args: string[]): Promise<number> {
  const { values: o, files } = parseWithFiles(args, STUDY_OPTIONS);
  if (o.help) {
    process.stdout.write(STUDY_HELP);
    return 0;
  }
  if (files.length !== 1) throw new UsageError(files.length ? `study takes one case list or folder, got ${files.length}: ${files.join(" ")}` : "missing the case list (.csv) or folder to study");
  const shard = parseShardOption(o.shard);
  parseReportPath(o.report);
  const siteAdapters = parseSiteAdapters(o.adapter);
  const threads = parseThreads(o.threads);
  const modelDir = modelDirOf(o.model);
  // where it writes, before any work: into folders that exist, over none of its inputs (the case list above all)
  const outputs = outputsOf(o);
  await checkOutputs(outputs, [files[0], ...(await filesIn(modelDir, ...[...siteAdapters.values()].filter((v) => v !== "none").map((v) => resolve(v))))]);
  const model = await readModel(modelDir);
  const { manifest } = model;
  const options = parseInferenceOptions(o.options, manifest, o["no-cleanup"]);
  // a study compares the base with site adapters: adapting to each scan (from the base) has no place in it
  const selfAdapting = enabledOptions(manifest, options).find((x) => x.kind === "selfAdapt");
  if (selfAdapting) throw new UsageError(`--options: "${selfAdapting.id}" adapts to each scan from the base; a study compares the base with site adapters, so leave it out`);
  const { cases: all, base, unpaired } = await loadCases(files[0], conventionsOf(manifest).map((c) => c.id));
  if (unpaired.length) {
    const shown = unpaired.slice(0, 10).join(", ");
    log(`siteseg: ${unpaired.length} volume${unpaired.length === 1 ? "" : "s"} left unpaired: ${shown}${unpaired.length > 10 ? `, and ${unpaired.length - 10} more` : ""}`);
  }
  if (!all.length) throw new RuntimeError(`no cases in ${files[0]}: see siteseg study --help for how scans are paired with labels`);
  // nor over a case's scan or label (e.g. --json naming one): checked before any case runs
  if (outputs.length) await checkOutputs(outputs, all.flatMap((c) => [resolve(base, c.image), resolve(base, c.label)]));
  const cases = shard ? shardCases(all, shard.index, shard.count) : all;
  const classes = scoredClasses(manifest);
  const shardInfo = shard ? { ...shard, total: all.length } : null;
  const passes = passOptions(manifest, options);
  const info = (doc: StudyJson, extra: Partial<ReportInfo> = {}) => () =>
    reportInfo(doc, manifest, modelDir, { options: passes, runtime: `onnxruntime-node, ${threads} CPU thread${threads === 1 ? "" : "s"}`, generator: "siteseg study (command line)", ...extra });
  if (!cases.length) {
    log(`siteseg: shard ${shard?.index}/${shard?.count} has no cases (the study has ${all.length})`);
    const doc = studyJson(studyModel(manifest), classes, [], shardInfo);
    return report(doc, o, info(doc));
  }

  // the adapters given are read and checked against the model before any case is run
  const given = new Map<string, Adapter | null>();
  for (const [site, value] of siteAdapters) {
    if (!all.some((c) => c.site === site)) log(`siteseg: warning: --adapter ${site}=${value}: the study has no site ${site} (its sites: ${[...new Set(all.map((c) => c.site))].join(", ")})`);
    given.set(site, await resolveAdapter(value, modelDir, manifest).catch((e: unknown) => {
      throw e instanceof UsageError ? e : new RuntimeError(`--adapter ${site}=${value}: ${(e as Error).message.replace(/^--adapter [^:]*: /, "")}`);
    }));
  }
  const runner = await startRunner(modelDir, model, threads);
  try {
    const adapterFor = async (site: string): Promise<Adapter | null> => {
      if (given.has(site)) return given.get(site) ?? null;
      const shipped = manifest.adapters.shipped.find((a) => a.site === site) ?? manifest.adapters.shipped.find((a) => a.name === site);
      return shipped ? resolveAdapter(shipped.name, modelDir, manifest) : null;
    };
    const start = performance.now();
    const results = await runStudy(
      cases,
      {
        manifest,
        // errors name the path as the case gives it (relative to the list or folder), as readVolume's do
        readFile: (path) => readFile(resolve(base, path)).then(ownBytes, (e: unknown) => {
          throw describeFsError(e, `read ${path}`) ?? e;
        }),
        segment: async (scan, adapter, onProgress, signal) => (await segment(scan, manifest, runner, { adapterFeeds: adapter?.feeds, onProgress, signal, options: passes })).labels,
        adapterFor,
      },
      { onCase: (c, i, n) => log(caseLine(c, i, n)) },
    );
    const wallMs = performance.now() - start;
    log(`siteseg: ${results.length} case${results.length === 1 ? "" : "s"} in ${(wallMs / 1000).toFixed(1)} s`);
    const doc = studyJson(studyModel(manifest), classes, results, shardInfo);
    return await report(doc, o, info(doc, { wallMs }));
  } finally {
    await runner.dispose();
  }
}

/** The manifest of a model folder, for the report's checksums only (the model itself is not loaded); null, with a warning, when it cannot be read. */
async function readManifestOnly(modelDir: string): Promise<Manifest | null> {
  try {
    return parseManifest(JSON.parse(await readFile(join(modelDir, "manifest.json"), "utf8")));
  } catch (e) {
    log(`siteseg: warning: no model manifest in ${modelDir} (${(e as Error).message}): the report leaves out the model's checksums`);
    return null;
  }
}

export async function mergeCommand(args: string[]): Promise<number> {
  const { values: o, files } = parseWithFiles(args, MERGE_OPTIONS);
  if (o.help) {
    process.stdout.write(MERGE_HELP);
    return 0;
  }
  parseReportPath(o.report);
  if (!files.length) throw new UsageError("missing the study JSON files to merge (written by siteseg study --shard I/N --json OUT)");
  // merging over a shard (--json SHARD.json) would lose it: refused, like a folder that does not exist, before any work
  await checkOutputs(outputsOf(o), [...files, ...(await filesIn(modelDirOf(o.model)))]);
  const docs = await Promise.all(
    files.map(async (file) => {
      const text = await readFile(file, "utf8").catch((e: unknown) => {
        throw describeFsError(e, `read ${file}`) ?? e;
      });
      try {
        return JSON.parse(text) as unknown;
      } catch (e) {
        throw new RuntimeError(`${file} is not JSON: ${(e as Error).message}`);
      }
    }),
  );
  const doc = mergeStudies(docs, files);
  const modelDir = modelDirOf(o.model);
  return report(doc, o, async () => reportInfo(doc, await readManifestOnly(modelDir), modelDir, { generator: "siteseg merge (command line)" }));
}
