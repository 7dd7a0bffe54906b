/**
 * The site study as one self-contained HTML report for people who will not read a CSV: what was
 * compared, one plain sentence per site, the table, a per-case chart, volume error and HD95, the
 * data-efficiency curve when it was measured, the model's and adapters' identities, timings and
 * the failed cases. Everything is inline (CSS, SVG); no script, font, image or other origin, so
 * the file reads the same anywhere, offline, and prints to PDF from the browser (A4 or Letter).
 *
 * Pure (string in, string out, no DOM): `siteseg study --report` and the app's "Export report"
 * make the same bytes from the same study and info. The charts are SVG written by hand here: the
 * app's chart uses Observable Plot, which needs a DOM, and core has none.
 */
import { z } from "zod";
import type { Manifest } from "../manifest/schema";
import { BOOTSTRAP_RESAMPLES } from "./bootstrap";
import { fixed, formatDice, formatGain, formatMeanSd, formatStat } from "./format";
import type { StudyJson } from "./serialise";
import type { ClassRow, SiteRow } from "./table";
import { byKey, StudyError, type CaseResult } from "./types";

/** The data-efficiency measurement a model folder may hold (scripts/fetal-loco.ts grid mode). */
export const DATA_EFFICIENCY_FILE = "data-efficiency-fetal.json";

const DataEfficiencySchema = z.object({
  site: z.string(),
  date: z.string(),
  command: z.string(),
  /** The base model's mean Dice on the held-out cases. */
  base: z.number(),
  heldOut: z.array(z.string()),
  cells: z.array(
    z.object({
      cases: z.number().int().positive(),
      slicesPerCase: z.number().int().positive(),
      runs: z.array(z.object({ seed: z.number(), trainCases: z.array(z.string()), dice: z.number() })),
      mean: z.number(),
      sd: z.number().nullable(),
    }),
  ),
});
/** Held-out Dice of adapters learnt from `cases` cases × `slicesPerCase` labelled slices, several seeds each. */
export type DataEfficiency = z.infer<typeof DataEfficiencySchema>;

/** A data-efficiency document checked against its shape; StudyError naming what is wrong. */
export function parseDataEfficiency(doc: unknown, name = DATA_EFFICIENCY_FILE): DataEfficiency {
  const r = DataEfficiencySchema.safeParse(doc);
  if (r.success) return r.data;
  const issues = r.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(document)"}: ${i.message}`);
  throw new StudyError(`${name} is not a data-efficiency table: ${issues.join("; ")}`);
}

/** What the report shows beside the study itself. */
export interface ReportInfo {
  /** When the report was made (ISO 8601), shown in UTC. */
  date: string;
  /** The model as its manifest names it; `sha256` (of the model file) when the study does not record it. */
  model?: { name?: string; sha256?: string };
  /** Adapters known by name (the manifest's shipped ones): the sha256 of adapter_model.safetensors. A case's own record wins. */
  adapters?: Record<string, { sha256?: string; description?: string }>;
  /** The inference passes that ran (e.g. flip), when known. */
  options?: string[];
  /** What ran the model, e.g. "onnxruntime-node, 4 CPU threads". */
  runtime?: string;
  /** Wall-clock time of the whole study (one run); without it the report sums the cases' own times. */
  wallMs?: number;
  /** Sites whose cases are synthetic images. */
  synthetic?: string[];
  /** The data-efficiency measurement; absent or null: not measured; a string: why it could not be read. */
  efficiency?: DataEfficiency | string | null;
  /** What made the report, e.g. "siteseg study (command line)". */
  generator?: string;
}

/** The identities a manifest gives: the model's name and file sha256, and each shipped adapter's weights sha256. */
export function reportIdentities(manifest: Manifest): Pick<ReportInfo, "model" | "adapters"> {
  return {
    model: { name: manifest.name, sha256: manifest.files.model.sha256 },
    adapters: Object.fromEntries(manifest.adapters.shipped.map((a) => [a.name, { ...(a.files ? { sha256: a.files.weights.sha256 } : {}), description: a.description }])),
  };
}

// ---- text

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
/** Text and attribute values: every string from files, cases or the user goes through this. */
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
const e = escapeHtml;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** "CSF, GM and WM". */
const andList = (items: string[]) => (items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`);

/** "12.3 s", "4 min 05 s", "2 h 03 min". */
export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${fixed(s, 1)} s`;
  const whole = Math.round(s);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, "0")} s`;
  const min = Math.round(whole / 60);
  return `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, "0")} min`;
}

/** "2026-05-02 14:03 UTC" from an ISO date; the text itself when it is not one. */
function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

const ci = (r: { ci95: [number, number] | null } | null | undefined) => (r?.ci95 ? `${formatGain(r.ci95[0])} to ${formatGain(r.ci95[1])}` : "—");

/** One sentence about a site, in words a manager reads (HTML: the site's name escaped). */
export function siteSentence(row: SiteRow, synthetic = false): string {
  const at = `At ${e(row.site)}${synthetic ? " (synthetic images)" : ""}`;
  const failed = row.failed ? ` ${plural(row.failed, "case")} failed and ${row.failed === 1 ? "is" : "are"} listed below.` : "";
  const learnt = row.trainedOn ? ` ${plural(row.trainedOn, "case")} the adapter learnt from ${row.trainedOn === 1 ? "was" : "were"} left out.` : "";
  if (row.n === 0) {
    if (row.trainedOn) return `${at}, ${row.trainedOn === 1 ? "the one case scored was one" : `all ${row.trainedOn} cases scored were ones`} the adapter learnt from, so there is no held-out figure.${failed}`;
    return `${at}, no case could be scored.${failed}`;
  }
  if (!row.adapter || !row.adapted || !row.gain || row.gain.mean === null || row.base.mean === null || row.adapted.mean === null) {
    return `${at}, there is no site adapter: the base model's mean Dice was ${formatDice(row.base.mean)} on ${plural(row.n, "case")}.${failed}`;
  }
  const g = row.gain.mean;
  const verb = formatGain(g) === "0.000" ? "left mean Dice unchanged" : g > 0 ? "raised mean Dice" : "lowered mean Dice";
  const move = formatGain(g) === "0.000" ? `${verb} at ${formatDice(row.base.mean)}` : `${verb} from ${formatDice(row.base.mean)} to ${formatDice(row.adapted.mean)}`;
  const cases = row.trainedOn ? `${plural(row.n, "case")} it never saw` : plural(row.n, "case");
  let interval: string;
  if (row.gain.ci95) {
    const [lo, hi] = row.gain.ci95;
    const clear = lo > 0 ? "" : hi < 0 ? "" : "; the interval includes no change, so more cases are needed to tell";
    interval = `gain ${formatGain(g)}, 95% CI ${formatGain(lo)} to ${formatGain(hi)}${clear}`;
  } else {
    interval = `gain ${formatGain(g)}; one case is too few for an interval`;
  }
  return `${at}, the adapter ${move} on ${cases} (${interval}).${learnt}${failed}`;
}

// ---- SVG charts (by hand: core has no DOM for a charting library)

const BASE_COLOUR = "#64748b";
const ADAPTER_COLOUR = "#c026d3";
/** Okabe–Ito: told apart in colour-blind vision and in greyscale print, by marker too. */
const LINE_COLOURS = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9"];
const MARKERS = ["circle", "square", "diamond", "triangle", "circle", "square"] as const;

const n1 = (v: number) => fixed(v, 1);
const shorten = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, Math.max(1, max - 1))}…`);

function marker(kind: (typeof MARKERS)[number], x: number, y: number, colour: string): string {
  if (kind === "square") return `<rect x="${n1(x - 3.5)}" y="${n1(y - 3.5)}" width="7" height="7" fill="${colour}"/>`;
  if (kind === "diamond") return `<path d="M${n1(x)} ${n1(y - 4.5)}L${n1(x + 4.5)} ${n1(y)}L${n1(x)} ${n1(y + 4.5)}L${n1(x - 4.5)} ${n1(y)}Z" fill="${colour}"/>`;
  if (kind === "triangle") return `<path d="M${n1(x)} ${n1(y - 4.5)}L${n1(x + 4.5)} ${n1(y + 3.5)}L${n1(x - 4.5)} ${n1(y + 3.5)}Z" fill="${colour}"/>`;
  return `<circle cx="${n1(x)}" cy="${n1(y)}" r="4" fill="${colour}"/>`;
}

/** Dice gridlines and labels, 0 to 1 by 0.2. */
function diceAxis(left: number, right: number, y: (d: number) => number): string {
  const out: string[] = [];
  for (let k = 0; k <= 5; k++) {
    const d = k / 5, yy = n1(y(d));
    out.push(`<line x1="${left}" x2="${right}" y1="${yy}" y2="${yy}" class="grid"/><text x="${left - 6}" y="${yy}" class="tick" text-anchor="end" dominant-baseline="middle">${fixed(d, 1)}</text>`);
  }
  return out.join("");
}

/**
 * Each case's mean Dice by site: the base (grey) and the site's adapter (magenta) side by side,
 * a line joining the two runs of one case; the site's mean as a bar. A case the adapter learnt
 * from is hollow and its line dashed (not counted in the table).
 */
export function perCaseSvg(cases: CaseResult[], table: SiteRow[], synthetic: Set<string> = new Set()): string {
  const W = 680, H = 320, left = 40, right = 10, top = 28, bottom = 58;
  const plotW = W - left - right, plotH = H - top - bottom;
  const y = (d: number) => top + (1 - Math.min(1, Math.max(0, d))) * plotH;
  const sites = table.map((r) => r.site);
  const groupW = plotW / Math.max(1, sites.length);
  const parts: string[] = [diceAxis(left, W - right, y)];
  parts.push(`<text x="12" y="${n1(top + plotH / 2)}" class="axis" transform="rotate(-90 12 ${n1(top + plotH / 2)})" text-anchor="middle">mean Dice per case</text>`);
  const bySite = new Map<string, CaseResult[]>();
  for (const c of [...cases].sort(byKey((c) => c.id))) if (c.error === null && c.base) bySite.set(c.site, [...(bySite.get(c.site) ?? []), c]);
  table.forEach((row, i) => {
    const gx = left + i * groupW, mid = gx + groupW / 2;
    const hasAdapter = row.adapter !== null;
    const xb = hasAdapter ? gx + groupW * 0.32 : mid, xa = gx + groupW * 0.68;
    const maxChars = Math.max(4, Math.floor(groupW / 6.6));
    const name = row.site + (synthetic.has(row.site) ? " (synthetic)" : "");
    if (i > 0) parts.push(`<line x1="${n1(gx)}" x2="${n1(gx)}" y1="${top}" y2="${top + plotH}" class="sep"/>`);
    parts.push(`<text x="${n1(mid)}" y="${top + plotH + 30}" class="site" text-anchor="middle"><title>${e(name)}</title>${e(shorten(name, maxChars))}</text>`);
    parts.push(`<text x="${n1(mid)}" y="${top + plotH + 44}" class="tick" text-anchor="middle">n = ${row.n}${row.trainedOn ? ` (+${row.trainedOn} learnt from)` : ""}</text>`);
    if (groupW >= 44) {
      parts.push(`<text x="${n1(xb)}" y="${top + plotH + 14}" class="tick" text-anchor="middle">base</text>`);
      if (hasAdapter) parts.push(`<text x="${n1(xa)}" y="${top + plotH + 14}" class="tick" text-anchor="middle">adapter</text>`);
    }
    for (const c of bySite.get(row.site) ?? []) {
      const b = c.base?.meanDice, a = c.adapted?.meanDice;
      const hollow = c.trainedOn;
      const dot = (x: number, d: number, colour: string, what: string) =>
        `<circle cx="${n1(x)}" cy="${n1(y(d))}" r="3.2" ${hollow ? `fill="#fff" stroke="${colour}" stroke-width="1.2"` : `fill="${colour}" fill-opacity="0.85"`}><title>${e(c.id)}: ${what} ${formatDice(d)}${hollow ? " (the adapter learnt from this case: not counted)" : ""}</title></circle>`;
      if (typeof b === "number" && typeof a === "number") parts.push(`<line x1="${n1(xb)}" x2="${n1(xa)}" y1="${n1(y(b))}" y2="${n1(y(a))}" class="pair${hollow ? " learnt" : ""}"/>`);
      if (typeof b === "number") parts.push(dot(xb, b, BASE_COLOUR, "base"));
      if (typeof a === "number") parts.push(dot(xa, a, ADAPTER_COLOUR, "adapter"));
    }
    const bar = (x: number, d: number | null | undefined, colour: string, what: string) =>
      typeof d === "number" ? `<line x1="${n1(x - 11)}" x2="${n1(x + 11)}" y1="${n1(y(d))}" y2="${n1(y(d))}" stroke="${colour}" stroke-width="3"><title>${e(row.site)}: ${what} mean ${formatDice(d)}</title></line>` : "";
    parts.push(bar(xb, row.base.mean, "#1e293b", "base"), hasAdapter ? bar(xa, row.adapted?.mean, "#701a75", "adapter") : "");
  });
  const learnt = cases.some((c) => c.trainedOn && c.error === null);
  const legend = [
    `<circle cx="4" cy="0" r="3.5" fill="${BASE_COLOUR}"/><text x="11" y="0" dominant-baseline="middle">base model</text>`,
    `<circle cx="90" cy="0" r="3.5" fill="${ADAPTER_COLOUR}"/><text x="97" y="0" dominant-baseline="middle">site adapter</text>`,
    `<line x1="175" x2="193" y1="0" y2="0" stroke="#1e293b" stroke-width="3"/><text x="198" y="0" dominant-baseline="middle">site mean</text>`,
    ...(learnt ? [`<circle cx="260" cy="0" r="3.2" fill="#fff" stroke="${ADAPTER_COLOUR}" stroke-width="1.2"/><text x="267" y="0" dominant-baseline="middle">learnt from</text>`] : []),
  ];
  parts.push(`<g class="legend" transform="translate(${W - right - (learnt ? 330 : 250)} 10)">${legend.join("")}</g>`);
  const label = `Each case's mean Dice by site, base model and site adapter${sites.length ? `: ${sites.map(e).join(", ")}` : ""}`;
  return `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${label}" class="chart">${parts.join("")}</svg>`;
}

/** log-scale ticks 1, 2, 5, 10, 20, 50, … within [lo, hi]. */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let p = 1; p <= hi * 10; p *= 10) for (const m of [1, 2, 5]) if (m * p >= lo && m * p <= hi) out.push(m * p);
  return out;
}

/** Held-out Dice against labelled slices in total (cases × slices per case, log scale), one line per number of cases, bars ± sd; the base as a dashed line. */
export function efficiencySvg(d: DataEfficiency): string {
  const W = 680, H = 300, left = 40, right = 110, top = 14, bottom = 40;
  const plotW = W - left - right, plotH = H - top - bottom;
  const totals = d.cells.map((c) => c.cases * c.slicesPerCase);
  const lo = Math.min(...totals, 1) / 1.25, hi = Math.max(...totals, 2) * 1.25;
  const x = (v: number) => left + ((Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) * plotW;
  const y = (v: number) => top + (1 - Math.min(1, Math.max(0, v))) * plotH;
  const parts: string[] = [diceAxis(left, left + plotW, y)];
  for (const t of logTicks(lo, hi)) parts.push(`<line x1="${n1(x(t))}" x2="${n1(x(t))}" y1="${top}" y2="${top + plotH}" class="grid"/><text x="${n1(x(t))}" y="${top + plotH + 14}" class="tick" text-anchor="middle">${t}</text>`);
  parts.push(`<text x="${n1(left + plotW / 2)}" y="${H - 6}" class="axis" text-anchor="middle">labelled slices in total (cases × slices per case)</text>`);
  parts.push(`<text x="12" y="${n1(top + plotH / 2)}" class="axis" transform="rotate(-90 12 ${n1(top + plotH / 2)})" text-anchor="middle">held-out mean Dice</text>`);
  parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${n1(y(d.base))}" y2="${n1(y(d.base))}" class="baseline"/><text x="${left + 4}" y="${n1(y(d.base) - 5)}" class="tick">base model ${formatDice(d.base)}</text>`);
  const counts = [...new Set(d.cells.map((c) => c.cases))].sort((a, b) => a - b);
  counts.forEach((k, i) => {
    const colour = LINE_COLOURS[i % LINE_COLOURS.length], kind = MARKERS[i % MARKERS.length];
    const cells = d.cells.filter((c) => c.cases === k).sort((a, b) => a.slicesPerCase - b.slicesPerCase);
    const pts = cells.map((c) => [x(c.cases * c.slicesPerCase), y(c.mean)] as const);
    parts.push(`<path d="${pts.map(([px, py], j) => `${j ? "L" : "M"}${n1(px)} ${n1(py)}`).join("")}" fill="none" stroke="${colour}" stroke-width="1.8"/>`);
    for (const c of cells) {
      const px = x(c.cases * c.slicesPerCase);
      if (c.sd !== null) parts.push(`<path d="M${n1(px)} ${n1(y(c.mean - c.sd))}V${n1(y(c.mean + c.sd))}M${n1(px - 3)} ${n1(y(c.mean - c.sd))}h6M${n1(px - 3)} ${n1(y(c.mean + c.sd))}h6" stroke="${colour}" stroke-width="1.2" fill="none"/>`);
      parts.push(`<g><title>${plural(c.cases, "case")} × ${c.slicesPerCase} slices: ${formatMeanSd(c.mean, c.sd)} (${plural(c.runs.length, "run")})</title>${marker(kind, px, y(c.mean), colour)}</g>`);
    }
    const ly = top + 8 + i * 18;
    parts.push(`<g class="legend">${marker(kind, left + plotW + 14, ly, colour)}<line x1="${left + plotW + 6}" x2="${left + plotW + 22}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="1.8"/><text x="${left + plotW + 28}" y="${ly}" dominant-baseline="middle">${plural(k, "case")}</text></g>`);
  });
  return `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="Held-out mean Dice at ${e(d.site)} against labelled slices, one line per number of training cases" class="chart">${parts.join("")}</svg>`;
}

// ---- tables and sections

const td = (s: string, cls = "num") => `<td class="${cls}">${s}</td>`;

function diceTable(table: SiteRow[], synthetic: Set<string>): string {
  const rows = table.map((r) => {
    const name = `${e(r.site)}${synthetic.has(r.site) ? '<br><span class="tag">synthetic</span>' : ""}`;
    return `<tr><th scope="row">${name}</th>${td(String(r.n))}${td(String(r.trainedOn))}${td(r.adapter === null ? "—" : e(r.adapter), "name")}${td(formatMeanSd(r.base.mean, r.base.sd))}${td(r.adapted ? formatMeanSd(r.adapted.mean, r.adapted.sd) : "—")}${td(r.gain ? formatMeanSd(r.gain.mean, r.gain.sd, true) : "—", `num ${gainClass(r.gain?.mean)}`)}${td(ci(r.gain))}</tr>`;
  });
  return `<table id="dice-table" class="dice" aria-label="Mean Dice by site"><thead><tr><th scope="col">Site</th><th scope="col" class="num">n</th><th scope="col" class="num">Trained on<br>(left out)</th><th scope="col">Adapter</th><th scope="col" class="num">Base</th><th scope="col" class="num">With<br>adapter</th><th scope="col" class="num">Gain</th><th scope="col" class="num">Gain<br>95% CI</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

const gainClass = (g: number | null | undefined) => (g === null || g === undefined || formatGain(g) === "0.000" ? "" : g > 0 ? "up" : "down");

function metricCells(m: ClassRow | undefined, digits: number): string {
  const gain = m?.gain?.mean;
  // lower is better: a negative gain is an improvement
  const cls = gain === null || gain === undefined || fixed(gain, digits) === fixed(0, digits) ? "" : gain < 0 ? "up" : "down";
  const signed = (v: number | null | undefined) => (v === null || v === undefined ? "—" : `${v > 0 && fixed(v, digits) !== fixed(0, digits) ? "+" : ""}${fixed(v, digits)}`);
  return td(formatStat(m?.base.mean, m?.base.sd, digits)) + td(m?.adapted ? formatStat(m.adapted.mean, m.adapted.sd, digits) : "—") + td(m?.gain ? signed(gain) : "—", `num ${cls}`);
}

function beyondTable(table: SiteRow[]): string {
  const rows = table.map((r) => `<tr><th scope="row">${e(r.site)}</th>${metricCells(r.absVolumeErrorPct?.mean, 1)}${metricCells(r.hd95Mm?.mean, 2)}</tr>`);
  return `<table id="beyond-table" aria-label="Volume error and HD95 by site"><thead><tr><th rowspan="2" scope="col">Site</th><th colspan="3" scope="colgroup" class="group">|Volume error| %</th><th colspan="3" scope="colgroup" class="group">HD95 mm</th></tr><tr><th scope="col" class="num">Base</th><th scope="col" class="num">With adapter</th><th scope="col" class="num">Change</th><th scope="col" class="num">Base</th><th scope="col" class="num">With adapter</th><th scope="col" class="num">Change</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function classTables(table: SiteRow[], classes: string[]): string {
  const group = (r: SiteRow, row: (name: string) => string) =>
    classes.map((name, i) => `<tr${i === 0 ? ' class="first"' : ""}>${i === 0 ? `<th scope="rowgroup" rowspan="${classes.length}">${e(r.site)}</th>` : ""}<td>${e(name)}</td>${row(name)}</tr>`).join("");
  const dice = table.map((r) =>
    group(r, (name) => {
      const c = r.classes[name];
      return `${td(c ? formatMeanSd(c.base.mean, c.base.sd) : "—")}${td(c?.adapted ? formatMeanSd(c.adapted.mean, c.adapted.sd) : "—")}${td(c?.gain ? formatMeanSd(c.gain.mean, c.gain.sd, true) : "—", `num ${gainClass(c?.gain?.mean)}`)}`;
    }),
  );
  const beyond = table.map((r) => group(r, (name) => `${metricCells(r.absVolumeErrorPct?.classes[name], 1)}${metricCells(r.hd95Mm?.classes[name], 2)}`));
  return `<table id="class-table" class="small" aria-label="Dice by class"><thead><tr><th scope="col">Site</th><th scope="col">Class</th><th scope="col" class="num">Dice base</th><th scope="col" class="num">With adapter</th><th scope="col" class="num">Gain</th></tr></thead><tbody>${dice.join("")}</tbody></table>
<table id="class-beyond-table" class="small" aria-label="Volume error and HD95 by class"><thead><tr><th rowspan="2" scope="col">Site</th><th rowspan="2" scope="col">Class</th><th colspan="3" scope="colgroup" class="group">|Volume error| %</th><th colspan="3" scope="colgroup" class="group">HD95 mm</th></tr><tr><th scope="col" class="num">Base</th><th scope="col" class="num">With adapter</th><th scope="col" class="num">Change</th><th scope="col" class="num">Base</th><th scope="col" class="num">With adapter</th><th scope="col" class="num">Change</th></tr></thead><tbody>${beyond.join("")}</tbody></table>`;
}

function casesTable(cases: CaseResult[]): string {
  const rows = [...cases].sort(byKey((c) => c.id)).map((c) => {
    const b = c.base?.meanDice, a = c.adapted?.meanDice;
    const gain = typeof a === "number" && typeof b === "number" ? formatGain(a - b) : "—";
    const note = c.error !== null ? "failed" : c.trainedOn ? "learnt from: not counted" : "";
    return `<tr${c.error !== null ? ' class="failed"' : ""}><td class="id">${e(c.id)}</td><td class="name">${e(c.site)}</td>${td(formatDice(b))}${td(formatDice(a))}${td(gain)}${td(typeof c.ms === "number" ? fixed(c.ms / 1000, 1) : "—")}<td>${note}</td></tr>`;
  });
  return `<table id="cases-table" class="small" aria-label="Every case"><thead><tr><th scope="col">Case</th><th scope="col">Site</th><th scope="col" class="num">Dice base</th><th scope="col" class="num">With adapter</th><th scope="col" class="num">Gain</th><th scope="col" class="num">Time s</th><th scope="col">Note</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function efficiencySection(eff: ReportInfo["efficiency"]): string {
  const head = `<h2>How many labelled slices an adapter needs</h2>`;
  if (!eff) return `${head}<p class="none">Not measured: the model folder holds no ${DATA_EFFICIENCY_FILE}.</p>`;
  if (typeof eff === "string") return `${head}<p class="none">Not shown: ${e(eff)}</p>`;
  const cells = [...eff.cells].sort((a, b) => a.cases - b.cases || a.slicesPerCase - b.slicesPerCase);
  const best = cells.reduce<(typeof cells)[number] | null>((m, c) => (m === null || c.mean > m.mean ? c : m), null);
  const rows = cells.map((c) => `<tr>${td(String(c.cases))}${td(String(c.slicesPerCase))}${td(String(c.cases * c.slicesPerCase))}${td(String(c.runs.length))}${td(formatMeanSd(c.mean, c.sd))}${td(formatGain(c.mean - eff.base))}</tr>`);
  const lead = best
    ? `Adapters were trained at ${e(eff.site)} on a few labelled slices of a few cases and scored on ${plural(eff.heldOut.length, "case")} none of them saw; the base model scores ${formatDice(eff.base)} there. The best setting, ${plural(best.cases, "case")} × ${best.slicesPerCase} slices, reached ${formatMeanSd(best.mean, best.sd)}.`
    : `No settings were measured at ${e(eff.site)}.`;
  return `${head}<p>${lead} Each point is the mean over its runs (different seeds and training cases), the bar ± one sd.</p>${cells.length ? efficiencySvg(eff) : ""}
<table id="efficiency-table" class="small" aria-label="Data efficiency"><thead><tr><th scope="col" class="num">Cases</th><th scope="col" class="num">Slices per case</th><th scope="col" class="num">Labelled slices</th><th scope="col" class="num">Runs</th><th scope="col" class="num">Held-out Dice</th><th scope="col" class="num">Gain over base</th></tr></thead><tbody>${rows.join("")}</tbody></table>
<p class="note">Measured ${e(formatDate(eff.date))}; held-out cases: ${eff.heldOut.map(e).join(", ") || "—"}. Command: <code>${e(eff.command)}</code></p>`;
}

/** Each site's adapter with the sha256 of its weights: the cases' own record, else the manifest's. */
function identitySection(doc: StudyJson, info: ReportInfo, synthetic: Set<string>): string {
  const sha = doc.model.sha256 ?? info.model?.sha256;
  const model = `<dl class="ids"><dt>Model</dt><dd>${info.model?.name ? `${e(info.model.name)} · ` : ""}<code>${e(doc.model.id)}</code> version <code>${e(doc.model.version)}</code></dd><dt>Model file sha256</dt><dd><code class="hash">${sha ? e(sha) : "not recorded"}</code></dd>${info.options ? `<dt>Inference options</dt><dd>${info.options.length ? info.options.map(e).join(", ") : "none (one pass, no cleanup)"}</dd>` : ""}${info.runtime ? `<dt>Run with</dt><dd>${e(info.runtime)}</dd>` : ""}</dl>`;
  const rows = doc.table.map((r) => {
    if (r.adapter === null) return `<tr><th scope="row">${e(r.site)}${synthetic.has(r.site) ? ' <span class="tag">synthetic</span>' : ""}</th><td>none (base only)</td><td>—</td></tr>`;
    const recorded = [...new Set(doc.cases.filter((c) => c.site === r.site && c.adapter === r.adapter && c.adapterSha256).map((c) => c.adapterSha256 as string))].sort();
    const known = info.adapters?.[r.adapter]?.sha256;
    const hashes = recorded.length ? recorded : known ? [known] : [];
    const warn = recorded.length > 1 ? ' <span class="warn">different files under one name: check which ran where</span>' : "";
    const cell = hashes.length ? hashes.map((h) => `<code class="hash">${e(h)}</code>`).join("<br>") + warn : "not recorded";
    return `<tr><th scope="row">${e(r.site)}${synthetic.has(r.site) ? ' <span class="tag">synthetic</span>' : ""}</th><td class="name">${e(r.adapter)}</td><td>${cell}</td></tr>`;
  });
  return `<h2>Model and adapters</h2>${model}<table id="adapters-table" class="small" aria-label="Adapters"><thead><tr><th scope="col">Site</th><th scope="col">Adapter</th><th scope="col">adapter_model.safetensors sha256</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function timingSection(doc: StudyJson, info: ReportInfo): string {
  const timed = doc.cases.filter((c) => typeof c.ms === "number").map((c) => c.ms as number);
  const lines: string[] = [];
  if (info.wallMs !== undefined) lines.push(`<li>The study took ${formatDuration(info.wallMs)} from start to finish.</li>`);
  if (timed.length) {
    const sum = timed.reduce((a, b) => a + b, 0);
    const sorted = [...timed].sort((a, b) => a - b);
    const range = timed.length > 1 ? ` (from ${formatDuration(sorted[0])} to ${formatDuration(sorted[sorted.length - 1])})` : "";
    lines.push(`<li>${plural(timed.length, "case")} took ${formatDuration(sum)} in all, ${formatDuration(sum / timed.length)} per case on average${range}: reading, base and adapter runs and scoring.</li>`);
    if (timed.length < doc.cases.length) lines.push(`<li>${plural(doc.cases.length - timed.length, "case")} did not record ${doc.cases.length - timed.length === 1 ? "its" : "their"} time.</li>`);
  }
  if (!lines.length) lines.push("<li>Not recorded (a study written before times were kept).</li>");
  return `<h2>Timings</h2><ul>${lines.join("")}</ul>`;
}

function failedSection(doc: StudyJson): string {
  const failed = doc.cases.filter((c) => c.error !== null);
  const body = failed.length
    ? `<p>${plural(failed.length, "case")} could not be scored and ${failed.length === 1 ? "is" : "are"} in no figure:</p><table id="failed-table" class="small" aria-label="Failed cases"><thead><tr><th scope="col">Case</th><th scope="col">Site</th><th scope="col">Reason</th></tr></thead><tbody>${failed.map((c) => `<tr><td class="id">${e(c.id)}</td><td class="name">${e(c.site)}</td><td>${e(c.error ?? "")}</td></tr>`).join("")}</tbody></table>`
    : `<p class="none">None: every case was scored.</p>`;
  return `<h2>Failed cases</h2>${body}`;
}

const STYLE = `
:root{color-scheme:light;--ink:#0f172a;--muted:#475569;--line:#cbd5e1;--soft:#f1f5f9}
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0 auto;padding:24px 16px 48px;max-width:180mm;font:10.5pt/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:#fff}
header{border-bottom:2px solid var(--ink);padding-bottom:8px;margin-bottom:4px}
h1{font-size:18pt;margin:0 0 2px}
h2{font-size:13pt;margin:22px 0 6px;padding-bottom:3px;border-bottom:1px solid var(--line)}
p,ul{margin:6px 0}
ul{padding-left:20px}
li{margin:3px 0}
.meta,.note,.none{color:var(--muted)}
.note{font-size:9pt}
.sentences li{margin:5px 0}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:9.5pt}
table.small{font-size:8.5pt}
table.dice{font-size:8.5pt}
table.dice th,table.dice td{padding:3px 4px}
th,td{padding:3px 5px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{border-bottom:1.5px solid var(--ink);font-weight:600;color:var(--muted)}
th.group{text-align:center;border-bottom:1px solid var(--line)}
tbody th{font-weight:600;white-space:nowrap}
td.name{white-space:nowrap}
tr.first>*{border-top:1.5px solid var(--line)}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.up{color:#047857}
.down{color:#b91c1c}
tr.failed td{color:#b91c1c}
td.id{word-break:break-all}
code{font:8.5pt ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--soft);padding:0 3px;border-radius:3px;word-break:break-all}
code.hash{font-size:7pt;white-space:nowrap;word-break:normal}
.tag{font-size:7.5pt;font-weight:600;text-transform:uppercase;letter-spacing:.04em;color:#6d28d9;background:#ede9fe;padding:0 4px;border-radius:3px}
.warn{color:#b45309;font-size:8.5pt}
dl.ids{display:grid;grid-template-columns:max-content 1fr;gap:3px 12px;margin:8px 0}
dl.ids dt{color:var(--muted)}
dl.ids dd{margin:0}
svg.chart{display:block;margin:6px 0;font-family:inherit;overflow:visible}
svg .grid{stroke:#e2e8f0;stroke-width:1}
svg .sep{stroke:#cbd5e1;stroke-width:1;stroke-dasharray:2 3}
svg .tick{font-size:9px;fill:#475569}
svg .axis{font-size:10px;fill:#334155}
svg .site{font-size:11px;font-weight:600;fill:#0f172a}
svg .legend text{font-size:10px;fill:#334155}
svg .pair{stroke:#94a3b8;stroke-width:1}
svg .pair.learnt{stroke-dasharray:3 2}
svg .baseline{stroke:#334155;stroke-width:1.2;stroke-dasharray:5 4}
footer{margin-top:28px;padding-top:6px;border-top:1px solid var(--line);font-size:8.5pt;color:var(--muted)}
@page{margin:14mm 15mm}
@media print{
body{padding:0;max-width:none;font-size:10pt}
.page{break-before:page}
h2{break-after:avoid}
table,svg.chart,dl.ids,li{break-inside:avoid}
thead{display:table-header-group}
#cases-table,#class-table,#class-beyond-table,#efficiency-table{break-inside:auto}
tr{break-inside:avoid}
}
`;

/**
 * The study report as one HTML document. `doc` gives the figures (its table is shown as it is,
 * so the numbers are the table's), `info` what the study itself does not record.
 */
export function studyReportHtml(doc: StudyJson, info: ReportInfo): string {
  const synthetic = new Set(info.synthetic ?? []);
  const scored = doc.cases.filter((c) => c.error === null).length;
  const failed = doc.cases.length - scored;
  const withAdapter = doc.table.filter((r) => r.adapter !== null).length;
  const modelName = info.model?.name ? `${e(info.model.name)} (${e(doc.model.id)} ${e(doc.model.version)})` : `${e(doc.model.id)} ${e(doc.model.version)}`;
  const shard = doc.shard ? ` This is shard ${doc.shard.index} of ${doc.shard.count} of a study of ${plural(doc.shard.total, "case")}; merge the shards (siteseg merge) for the whole study.` : "";
  const compared =
    `The base model ${modelName} was compared with each site's own adapter on ${plural(doc.cases.length, "case")} (${scored} scored, ${failed} failed) from ${plural(doc.table.length, "site")}` +
    `${withAdapter < doc.table.length ? ` (${withAdapter} with an adapter; the others are scored with the base only)` : ""}. ` +
    `Each case's Dice is the mean over ${andList(doc.classes.map(e))} against its reference label; a site's figure is the mean ± sd over its cases, and the gain (adapter − base) is paired per case, with a 95% bootstrap interval (${String(BOOTSTRAP_RESAMPLES).replace(/\B(?=(\d{3})+$)/g, ",")} resamples). ` +
    `Cases a site's adapter learnt from are scored but left out of its figures, so each site is judged on cases its adapter never saw.${shard}`;
  const sentences = doc.table.map((r) => `<li>${siteSentence(r, synthetic.has(r.site))}</li>`).join("");
  const title = `Site study report · ${doc.model.id} ${doc.model.version} · ${formatDate(info.date).slice(0, 10)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${e(info.generator ?? "siteseg")}">
<title>${e(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Site study: base model vs site adapters</h1>
<p class="meta">${modelName} · ${e(formatDate(info.date))} · ${plural(doc.table.length, "site")}, ${plural(doc.cases.length, "case")}</p>
</header>
<section id="summary">
<h2>What was compared</h2>
<p>${compared}</p>
<h2>Result by site</h2>
${doc.table.length ? `<ul class="sentences">${sentences}</ul>${diceTable(doc.table, synthetic)}
<p class="note">n: cases scored and counted. Trained on: cases the site's adapter learnt from, scored but left out. Failed cases are in no figure; they are listed with their reasons under Failed cases. Dice from 0 (no overlap) to 1 (identical); mean ± sd over cases; CI: 95% bootstrap interval of the mean gain (— with one case).</p>` : `<p class="none">No case was studied.</p>`}
</section>
<section id="per-case" class="page">
<h2>Every case, base and adapter</h2>
<p>Each dot is one case's mean Dice; a line joins the same case with the base model and with its site's adapter, so lines rising to the right are cases the adapter improved. The bars are the site means in the table.</p>
${perCaseSvg(doc.cases, doc.table, synthetic)}
<h2>Volume error and HD95</h2>
<p>Two measures beside Dice, where lower is better: the volume error, 100·|predicted − reference| / reference, and HD95, the 95th-percentile distance in mm between the predicted and the reference surfaces. Each is the mean over the classes per case, then mean ± sd over the site's cases; the change is adapter − base, paired per case (negative is better).</p>
${beyondTable(doc.table)}
</section>
<section id="efficiency"${info.efficiency && typeof info.efficiency !== "string" ? ' class="page"' : ""}>
${efficiencySection(info.efficiency)}
</section>
<section id="identities" class="page">
${identitySection(doc, info, synthetic)}
${timingSection(doc, info)}
${failedSection(doc)}
</section>
<section id="appendix" class="page">
<h2>By class</h2>
${classTables(doc.table, doc.classes)}
<h2>Every case</h2>
${casesTable(doc.cases)}
</section>
<footer>Made by ${e(info.generator ?? "siteseg")} on ${e(formatDate(info.date))} from the study's results; the same study gives the same report from the command line (siteseg study --report) and the app (Export report). Self-contained: no scripts, fonts or images from elsewhere.</footer>
</body>
</html>
`;
}
