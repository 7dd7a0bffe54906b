import { describe, expect, it } from "vitest";
import {
  DATA_EFFICIENCY_FILE, formatDuration, formatGain, formatMeanSd, formatStat, parseDataEfficiency, siteSentence, studyJson, studyReportHtml,
  type CaseResult, type DataEfficiency, type ReportInfo, type StudyJson,
} from ".";

const CLASSES = ["CSF", "GM"];
const EVIL = `<img src=x onerror="alert('id')">`;

/** A case with Dice (and volume error, HD95 from them) for base and adapter. */
function res(id: string, site: string, base: number[] | null, adapted: number[] | null, extra: Partial<CaseResult> = {}): CaseResult {
  const scores = (v: number[] | null) =>
    v && {
      dice: { CSF: v[0], GM: v[1] },
      meanDice: (v[0] + v[1]) / 2,
      volumeErrorMl: { CSF: 1 - v[0], GM: v[1] - 1 },
      volumeErrorPct: { CSF: 100 * (1 - v[0]), GM: -100 * (1 - v[1]) },
      hd95Mm: { CSF: 10 * (1 - v[0]), GM: 10 * (1 - v[1]) },
    };
  return {
    id, site, image: `${id}.nii`, label: `${id}_seg.nii`, convention: "classes", adapter: adapted ? `${site}-ad` : null, adapterSha256: adapted ? "ab".repeat(32) : null,
    base: scores(base), adapted: scores(adapted), trainedOn: false, error: null, ms: 1500, ...extra,
  };
}

const CASES: CaseResult[] = [
  res("fetal/GA21", "fetal-sb", [0.1, 0.2], [0.7, 0.8]),
  res("fetal/GA23", "fetal-sb", [0.15, 0.15], [0.75, 0.85]),
  res("fetal/GA25", "fetal-sb", [0.2, 0.1], [0.8, 0.7], { ms: 2500 }),
  res("fetal/GA27", "fetal-sb", [0.2, 0.2], [0.9, 0.9], { trainedOn: true }),
  res(`fetal/${EVIL}`, "fetal-sb", null, null, { adapter: "fetal-sb-ad", error: `cannot read ${EVIL}.nii: truncated`, convention: null }),
  res("clinic/a", "clinic", [0.6, 0.7], null),
  res("clinic/b", "clinic", [0.62, 0.74], null),
  res("odd/x", `<b>odd</b> & "site"`, [0.5, 0.5], [0.45, 0.5], { adapter: `ad"<i>`, adapterSha256: "cd".repeat(32) }),
];
const DOC = studyJson({ id: "siteseg-tissue", version: "0.4.0", sha256: "f0".repeat(32) }, CLASSES, CASES);

const EFFICIENCY: DataEfficiency = {
  site: "fetal_sb", date: "2026-05-01T10:00:00.000Z", command: "npx tsx scripts/fetal-loco.ts grid", base: 0.15,
  heldOut: ["GA21_notoperated", "GA23_notoperated"],
  cells: [1, 2, 3, 5].flatMap((cases) => [2, 5, 10].map((slicesPerCase) => ({
    cases, slicesPerCase,
    runs: [1, 2, 3].map((seed) => ({ seed, trainCases: [`GA${22 + seed}`], dice: 0.4 + 0.03 * cases + 0.01 * slicesPerCase + 0.01 * seed })),
    mean: 0.42 + 0.03 * cases + 0.01 * slicesPerCase,
    sd: cases === 5 ? null : 0.01,
  }))),
};
const INFO: ReportInfo = {
  date: "2026-05-02T14:03:07.000Z",
  model: { name: "Brain tissue · 2.5D U-Net", sha256: "00".repeat(32) },
  adapters: { "clinic-ad": { sha256: "ee".repeat(32) } },
  options: ["flip"], runtime: "onnxruntime-node, 2 CPU threads", wallMs: 12_345, generator: "test", efficiency: EFFICIENCY,
};

const decode = (s: string) => s.replace(/<[^>]*>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&").trim();
/** The cells (text) of each body row of the table with this id. */
function rows(html: string, id: string): string[][] {
  const table = new RegExp(`<table id="${id}"[^>]*>([\\s\\S]*?)</table>`).exec(html)?.[1] ?? "";
  const body = /<tbody>([\s\S]*)<\/tbody>/.exec(table)?.[1] ?? "";
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1].matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => decode(c[1])));
}

/** Every opened element closed in order (void elements aside): the document is well formed. */
function balanced(html: string): string[] {
  const VOID = new Set(["meta", "br", "link", "img", "input", "hr"]);
  const stack: string[] = [];
  const bad: string[] = [];
  const body = html.replace(/<style>[\s\S]*?<\/style>/, "").replace(/<!doctype html>/i, "");
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(\/?)>/g)) {
    const [, close, name, self] = m;
    if (VOID.has(name.toLowerCase()) || self) continue;
    if (!close) stack.push(name);
    else if (stack.pop() !== name) bad.push(name);
  }
  return [...bad, ...stack];
}

describe("studyReportHtml", () => {
  const html = studyReportHtml(DOC, INFO);

  it("shows the table's numbers: n, trained on, failed, base, adapter, gain and its interval per site", () => {
    const cells = rows(html, "dice-table");
    expect(cells.map((r) => r[0])).toEqual(DOC.table.map((r) => r.site));
    DOC.table.forEach((r, i) => {
      const ci = r.gain?.ci95 ? `${formatGain(r.gain.ci95[0])} to ${formatGain(r.gain.ci95[1])}` : "—";
      expect(cells[i], r.site).toEqual([
        r.site, String(r.n), String(r.trainedOn), r.adapter ?? "—",
        formatMeanSd(r.base.mean, r.base.sd), r.adapted ? formatMeanSd(r.adapted.mean, r.adapted.sd) : "—", r.gain ? formatMeanSd(r.gain.mean, r.gain.sd, true) : "—", ci,
      ]);
    });
    const fetal = DOC.table.find((r) => r.site === "fetal-sb")!;
    expect([fetal.n, fetal.trainedOn, fetal.failed]).toEqual([3, 1, 1]);
    // volume error and HD95 per site, as the table summarises them
    const beyond = rows(html, "beyond-table");
    DOC.table.forEach((r, i) => {
      const v = r.absVolumeErrorPct.mean, h = r.hd95Mm.mean;
      expect([beyond[i][1], beyond[i][2], beyond[i][4], beyond[i][5]], r.site).toEqual([
        formatStat(v.base.mean, v.base.sd, 1), v.adapted ? formatStat(v.adapted.mean, v.adapted.sd, 1) : "—", formatStat(h.base.mean, h.base.sd, 2), h.adapted ? formatStat(h.adapted.mean, h.adapted.sd, 2) : "—",
      ]);
    });
  });

  it("says in one sentence per site what the adapter did", () => {
    const fetal = DOC.table.find((r) => r.site === "fetal-sb")!;
    const [lo, hi] = fetal.gain!.ci95!;
    expect(decode(html)).toContain(`At fetal-sb, the adapter raised mean Dice from 0.150 to 0.767 on 3 cases it never saw (gain +0.617, 95% CI ${formatGain(lo)} to ${formatGain(hi)}). 1 case the adapter learnt from was left out. 1 case failed and is listed below.`);
    expect(decode(html)).toContain("At clinic, there is no site adapter: the base model's mean Dice was 0.665 on 2 cases.");
    expect(decode(html)).toContain(`At <b>odd</b> & "site", the adapter lowered mean Dice from 0.500 to 0.475 on 1 case (gain -0.025; one case is too few for an interval).`);
    const learnt = studyJson({ id: "m", version: "1" }, CLASSES, [res("s/a", "s", [0.5, 0.5], [0.7, 0.7], { trainedOn: true }), res("s/b", "s", [0.5, 0.5], [0.7, 0.7], { trainedOn: true }), res("t/a", "t", null, null, { error: "unreadable" })]);
    expect(learnt.table.map((r) => siteSentence(r))).toEqual([
      "At s, all 2 cases scored were ones the adapter learnt from, so there is no held-out figure.",
      "At t, no case could be scored. 1 case failed and is listed below.",
    ]);
  });

  it("shows strings from files and cases as text: no markup gets in", () => {
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>odd");
    expect(html).not.toContain("<i>");
    expect(html).toContain("fetal/&lt;img src=x onerror=&quot;alert(&#39;id&#39;)&quot;&gt;");
    expect(rows(html, "failed-table")).toEqual([[`fetal/${EVIL}`, "fetal-sb", `cannot read ${EVIL}.nii: truncated`]]);
    expect(balanced(html)).toEqual([]);
  });

  it("is self-contained: no script, no link, nothing from another origin", () => {
    expect(html).not.toMatch(/https?:|\/\/|<script|<link|<iframe|<object|<embed|<img|@import|url\(|<[a-z][^>]*\s(src|href|xlink:href|on[a-z]+)\s*=/i);
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(html).toMatch(/<style>[\s\S]*@media print\{[\s\S]*break-before:page/);
  });

  it("names the model and each site's adapter with their sha256, the passes, the runtime and the timings", () => {
    expect(decode(html)).toContain(`Model file sha256${"f0".repeat(32)}`); // the study's record wins over the info's
    expect(rows(html, "adapters-table")).toEqual([
      [`<b>odd</b> & "site"`, `ad"<i>`, "cd".repeat(32)],
      ["clinic", "none (base only)", "—"],
      ["fetal-sb", "fetal-sb-ad", "ab".repeat(32)],
    ]);
    expect(decode(html)).toContain("Inference optionsflip");
    expect(decode(html)).toContain("Run withonnxruntime-node, 2 CPU threads");
    expect(decode(html)).toContain("The study took 12.3 s from start to finish.");
    expect(decode(html)).toContain("8 cases took 13.0 s in all, 1.6 s per case on average (from 1.5 s to 2.5 s)");
    expect(decode(html)).toContain("2026-05-02 14:03 UTC");
  });

  it("draws every scored case in the per-case chart, and the data-efficiency curve with its table", () => {
    const chart = /<section id="per-case"[\s\S]*?<\/section>/.exec(html)![0];
    // base and adapter dots: 3 + 1 learnt-from (hollow) at fetal-sb, 2 base-only at clinic, 1 pair at odd
    expect(chart.match(/<circle [^>]*r="3.2"/g)).toHaveLength(4 * 2 + 2 + 2 + 1); // + the legend's hollow marker
    expect(chart.match(/<line [^>]*class="pair learnt"/g)).toHaveLength(1);
    const eff = rows(html, "efficiency-table");
    expect(eff).toHaveLength(12);
    expect(eff[0]).toEqual(["1", "2", "2", "3", "0.470 ± 0.010", "+0.320"]);
    expect(eff.at(-1)).toEqual(["5", "10", "50", "3", "0.670", "+0.520"]);
    const svg = /<section id="efficiency"[\s\S]*?<\/section>/.exec(html)![0];
    expect(svg).toContain("<svg");
    expect(svg.match(/class="legend"/g)).toHaveLength(4); // one line per number of cases
    expect(svg).toContain("base model 0.150");
  });

  it("says what was not measured or recorded", () => {
    const bare = studyReportHtml(studyJson({ id: "m", version: "1" }, CLASSES, CASES.filter((c) => c.error === null).map(({ ms: _ms, adapterSha256: _sha, ...c }) => c)), { date: "2026-01-01T00:00:00Z" });
    expect(decode(bare)).toContain(`Not measured: the model folder holds no ${DATA_EFFICIENCY_FILE}.`);
    expect(bare).not.toContain('id="efficiency-table"');
    expect(decode(bare)).toContain("None: every case was scored.");
    expect(decode(bare)).toContain("Not recorded (a study written before times were kept).");
    expect(decode(bare)).toContain("Model file sha256not recorded");
    expect(bare).not.toContain("Inference options");
    expect(rows(bare, "adapters-table")[2]).toEqual(["fetal-sb", "fetal-sb-ad", "not recorded"]);
    const unreadable = studyReportHtml(DOC, { ...INFO, efficiency: "data-efficiency-fetal.json is not a data-efficiency table: cells: expected array" });
    expect(decode(unreadable)).toContain("Not shown: data-efficiency-fetal.json is not a data-efficiency table");
    const empty = studyReportHtml(studyJson({ id: "m", version: "1" }, CLASSES, []), { date: "2026-01-01T00:00:00Z" });
    expect(decode(empty)).toContain("No case was studied.");
    expect(balanced(empty)).toEqual([]);
  });

  it("is the same bytes for the same study and info", () => {
    const again: StudyJson = JSON.parse(JSON.stringify(DOC));
    expect(studyReportHtml(again, INFO)).toBe(html);
  });

  it("takes a few milliseconds for a study of 1,000 cases", () => {
    const many = Array.from({ length: 1000 }, (_, i) => res(`s${i % 10}/c${String(i).padStart(4, "0")}`, `site-${i % 10}`, [0.3 + (i % 7) / 20, 0.4], [0.6 + (i % 5) / 20, 0.7]));
    const doc = studyJson({ id: "m", version: "1" }, CLASSES, many);
    const t0 = performance.now();
    const out = studyReportHtml(doc, INFO);
    const ms = performance.now() - t0;
    console.info(`studyReportHtml: 1,000 cases at 10 sites in ${ms.toFixed(1)} ms (${(out.length / 1024).toFixed(0)} KiB)`);
    expect(ms).toBeLessThan(2000);
  });
});

describe("parseDataEfficiency", () => {
  it("takes the grid's shape and names what is wrong", () => {
    expect(parseDataEfficiency(JSON.parse(JSON.stringify(EFFICIENCY)))).toEqual(EFFICIENCY);
    expect(() => parseDataEfficiency({ ...EFFICIENCY, cells: "none" })).toThrow(/data-efficiency-fetal\.json is not a data-efficiency table: cells: /);
  });
});

it("formatDuration", () => {
  expect([formatDuration(12_340), formatDuration(245_000), formatDuration(7_380_000)]).toEqual(["12.3 s", "4 min 05 s", "2 h 03 min"]);
});
