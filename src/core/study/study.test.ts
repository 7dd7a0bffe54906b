import { describe, expect, it } from "vitest";
import type { Adapter } from "../adapters/adapter";
import { readVolume, writeNifti } from "../io";
import { parseManifest } from "../manifest/schema";
import { CancelledError } from "../pipeline/runner";
import { seededRandom } from "../adapt/data";
import { sha256Hex, volumeSha256 } from "../sha256";
import { bootstrapMeanCi, quantileSorted } from "./bootstrap";
import type { Volume } from "../volume/types";
import {
  casesCsv, csvField, formatDice, formatGain, mergeStudies, pairFiles, parseCaseList, parseCsv, parseShard, runStudy,
  shardCases, studyCsv, studyJson, studyTable, type CaseResult, type StudyCase, type StudyDeps, type StudyModel,
} from ".";

const ids = (paths: string[], root = "root") => pairFiles(paths, root);

describe("pairFiles", () => {
  it("pairs X with X_label / X_seg in any volume format, site from the first folder", () => {
    const r = ids(["a/s1.nii.gz", "a/s1_seg.nii.gz", "b/x/t.mgz", "b/x/t_label.nii", "top.nii", "top_seg.mgh", "a/notes.txt", "a/.hidden.nii", ".git/x.nii"]);
    expect(r.cases).toEqual([
      { id: "a/s1", site: "a", image: "a/s1.nii.gz", label: "a/s1_seg.nii.gz" },
      { id: "b/x/t", site: "b", image: "b/x/t.mgz", label: "b/x/t_label.nii" },
      { id: "top", site: "root", image: "top.nii", label: "top_seg.mgh" },
    ]);
    expect(r.unpaired).toEqual([]);
  });

  it("leaves ambiguous and lonely volumes unpaired", () => {
    const r = ids(["s/x.nii", "s/x_seg.nii", "s/x_label.nii", "s/y.nii", "s/y.nii.gz", "s/y_seg.nii", "s/z_seg.nii", "s/w.nii"]);
    expect(r.cases).toEqual([]);
    expect(r.unpaired).toEqual(["s/w.nii", "s/x.nii", "s/x_label.nii", "s/x_seg.nii", "s/y.nii", "s/y.nii.gz", "s/y_seg.nii", "s/z_seg.nii"]);
  });

  it("pairs BIDS scans with dseg labels by subject and session, across folders of a site", () => {
    const r = ids([
      "siteA/sub-01/anat/sub-01_T1w.nii.gz",
      "siteA/derivatives/seg/sub-01/anat/sub-01_space-orig_desc-aseg_dseg.nii.gz",
      "siteA/sub-02/ses-1/anat/sub-02_ses-1_acq-fast_FLAIR.nii",
      "siteA/derivatives/seg/sub-02/ses-1/anat/sub-02_ses-1_dseg.nii",
      "siteA/sub-02/ses-2/anat/sub-02_ses-2_T1w.nii.gz",
      "siteB/sub-02/ses-2/anat/sub-02_ses-2_dseg.nii.gz", // another site: no pair
      "siteA/sub-02/ses-1/anat/sub-02_ses-1_bold.nii.gz", // not an anatomical scan: ignored as image
    ]);
    expect(r.cases.map((c) => [c.id, c.site, c.label])).toEqual([
      ["siteA/sub-01/anat/sub-01_T1w", "siteA", "siteA/derivatives/seg/sub-01/anat/sub-01_space-orig_desc-aseg_dseg.nii.gz"],
      ["siteA/sub-02/ses-1/anat/sub-02_ses-1_acq-fast_FLAIR", "siteA", "siteA/derivatives/seg/sub-02/ses-1/anat/sub-02_ses-1_dseg.nii"],
    ]);
    expect(r.unpaired).toEqual(["siteA/sub-02/ses-1/anat/sub-02_ses-1_bold.nii.gz", "siteA/sub-02/ses-2/anat/sub-02_ses-2_T1w.nii.gz", "siteB/sub-02/ses-2/anat/sub-02_ses-2_dseg.nii.gz"]);
  });

  it("BIDS: several scans of a session pair only when acquisition entities tell them apart", () => {
    const two = ["d/sub-1/anat/sub-1_T1w.nii.gz", "d/sub-1/anat/sub-1_T2w.nii.gz", "d/derivatives/sub-1/sub-1_dseg.nii.gz"];
    expect(ids(two).cases).toEqual([]);
    const told = ["d/sub-1/anat/sub-1_acq-a_T1w.nii.gz", "d/sub-1/anat/sub-1_acq-b_T1w.nii.gz", "d/derivatives/sub-1/sub-1_acq-b_desc-x_dseg.nii.gz"];
    const r = ids(told);
    expect(r.cases.map((c) => c.image)).toEqual(["d/sub-1/anat/sub-1_acq-b_T1w.nii.gz"]);
    expect(r.unpaired).toEqual(["d/sub-1/anat/sub-1_acq-a_T1w.nii.gz"]);
  });

  it("a dropped BIDS dataset (sub-* at the top) is one site named after the root", () => {
    const r = ids(["sub-1/anat/sub-1_T1w.nii.gz", "derivatives/x/sub-1/anat/sub-1_dseg.nii.gz"], "hospital");
    expect(r.cases).toEqual([{ id: "sub-1/anat/sub-1_T1w", site: "hospital", image: "sub-1/anat/sub-1_T1w.nii.gz", label: "derivatives/x/sub-1/anat/sub-1_dseg.nii.gz" }]);
  });

  it("pairs FreeSurfer norm.mgz with aseg.mgz (else the first aparc*+aseg), named after the subject", () => {
    const r = ids([
      "site/bert/mri/norm.mgz", "site/bert/mri/aseg.mgz", "site/bert/mri/aparc+aseg.mgz",
      "site/ernie/mri/norm.mgz", "site/ernie/mri/aparc.a2009s+aseg.mgz", "site/ernie/mri/aparc+aseg.mgz",
      "site/flat/norm.mgz", "site/flat/aparc.DKTatlas+aseg.mgz",
      "site/lonely/mri/norm.mgz",
    ]);
    expect(r.cases.map((c) => [c.id, c.site, c.label])).toEqual([
      ["site/bert", "site", "site/bert/mri/aseg.mgz"],
      ["site/ernie", "site", "site/ernie/mri/aparc+aseg.mgz"],
      ["site/flat", "site", "site/flat/aparc.DKTatlas+aseg.mgz"],
    ]);
    expect(r.unpaired).toEqual(["site/bert/mri/aparc+aseg.mgz", "site/ernie/mri/aparc.a2009s+aseg.mgz", "site/lonely/mri/norm.mgz"]);
    // one subject dropped on its own: its mri folder is not a site
    expect(ids(["mri/norm.mgz", "mri/aseg.mgz"], "bert").cases).toEqual([{ id: "bert", site: "bert", image: "mri/norm.mgz", label: "mri/aseg.mgz" }]);
  });

  it("is independent of input order", () => {
    const paths = ["a/s1.nii", "a/s1_seg.nii", "b/s2.nii", "b/s2_seg.nii", "c/bert/mri/norm.mgz", "c/bert/mri/aseg.mgz"];
    expect(ids([...paths].reverse())).toEqual(ids(paths));
  });
});

describe("parseCaseList", () => {
  const KNOWN = ["classes", "freesurfer", "gif"];
  it("reads image,label,site[,convention] in any column order, with quoting", () => {
    const text = '\uFEFFsite,image,label,convention\r\nA,"x/s 1,b.nii.gz",x/s1_seg.nii.gz,\r\n"B",y/t.mgz,y/t_aseg.mgz,freesurfer\n\n';
    expect(parseCaseList(text, KNOWN)).toEqual([
      { id: "x/s 1,b", site: "A", image: "x/s 1,b.nii.gz", label: "x/s1_seg.nii.gz" },
      { id: "y/t", site: "B", image: "y/t.mgz", label: "y/t_aseg.mgz", convention: "freesurfer" },
    ]);
  });

  it.each([
    ["", /empty/],
    ["image,label\n", /line 1: the header has no "site" column/],
    ["image,label,site,sex\n", /line 1: unknown column "sex"/],
    ["image,label,site\na.nii,b.nii\n", /line 2: 2 fields, but the header has 3/],
    ["image,label,site\na.nii,b.nii,A\n\nc.nii,,A\n", /line 4: the label is empty/],
    ["image,label,site,convention\na.nii,b.nii,A,aseg\n", /line 2: unknown convention "aseg" \(expected classes, freesurfer, gif/],
    ["image,label,site\na.nii,b.nii,A\na.nii,c.nii,B\n", /line 3: the image a.nii is already listed on line 2/],
    ['image,label,site\n"a.nii,b.nii,A\n', /line 2: a quoted field is not closed/],
  ])("refuses %j", (text, message) => {
    expect(() => parseCaseList(text, KNOWN)).toThrow(message);
  });

  it("counts lines inside quoted fields", () => {
    expect(parseCsv('a,"x\ny"\nb,c').map((r) => r.line)).toEqual([1, 3]);
  });
});

describe("shards", () => {
  const cases: StudyCase[] = Array.from({ length: 10 }, (_, i) => ({ id: `c${(i * 7) % 10}`, site: "s", image: "", label: "" }));
  it("are disjoint, cover every case and do not depend on input order", () => {
    const parts = [1, 2, 3].map((k) => shardCases(cases, k, 3).map((c) => c.id));
    expect(parts[0]).toEqual(["c0", "c3", "c6", "c9"]);
    expect(parts.flat().sort()).toEqual(cases.map((c) => c.id).sort());
    expect(shardCases([...cases].reverse(), 2, 3).map((c) => c.id)).toEqual(parts[1]);
    expect(shardCases(cases, 1, 1)).toHaveLength(10);
  });
  it("parseShard", () => {
    expect(parseShard("2/3")).toEqual({ index: 2, count: 3 });
    expect(() => parseShard("4/3")).toThrow(/between 1 and 3/);
    expect(() => parseShard("0/3")).toThrow(/between 1 and 3/);
    expect(() => parseShard("2")).toThrow(/I\/N/);
    expect(() => parseShard("1/0")).toThrow(/at least 1/);
    // issue 24 part 6: a negative index is named as such, not as a shard that is not written I/N
    expect(() => parseShard("-1/3")).toThrow('shard index must be between 1 and 3, got "-1/3"');
    expect(() => parseShard("1/-3")).toThrow('shard count must be at least 1, got "1/-3"');
    expect(() => parseShard("a/b")).toThrow('a shard is written I/N (e.g. 2/3: the second of three), got "a/b"');
    expect(() => parseShard("1/99999999999999999999")).toThrow(/below 2\^53/);
    expect(() => shardCases(cases, 3, 2)).toThrow(/does not exist/);
  });
});

const CLASSES = ["CSF", "GM"];
const res = (id: string, site: string, base: number[] | null, adapted: number[] | null, extra: Partial<CaseResult> = {}): CaseResult => {
  const scores = (v: number[] | null) => (v ? { dice: { CSF: v[0], GM: v[1] ?? null }, meanDice: v[1] === undefined ? v[0] : (v[0] + v[1]) / 2 } : null);
  return { id, site, image: `${id}.nii`, label: `${id}_seg.nii`, convention: "classes", adapter: adapted ? "ad" : null, base: scores(base), adapted: scores(adapted), trainedOn: false, error: null, ...extra };
};

describe("studyTable", () => {
  const results = [
    res("b2", "B", [0.5, 0.7], [0.6, 0.8]),
    res("b1", "B", [0.4, 0.6], [0.4, 0.9]),
    res("b3", "B", [0.2], [0.3]), // GM absent: null Dice
    res("b4", "B", null, null, { adapter: "ad", error: "cannot read b4.nii", convention: null }),
    res("a1", "A", [0.8, 0.6], null),
  ];
  const table = studyTable(results, CLASSES);

  it("one row per site, sorted, with sample sd, paired gain and failures", () => {
    expect(table.map((r) => [r.site, r.n, r.failed, r.adapter])).toEqual([["A", 1, 0, null], ["B", 3, 1, "ad"]]);
    const [a, b] = table;
    expect(a.base).toEqual({ n: 1, mean: 0.7, sd: null, min: 0.7, max: 0.7 });
    expect(a.adapted).toBeNull();
    expect(a.gain).toBeNull();
    // B means: base 0.6, 0.5, 0.2; adapter 0.7, 0.65, 0.3; gains 0.1, 0.15, 0.1
    expect(b.base.mean).toBeCloseTo(1.3 / 3, 12);
    expect(b.base.sd).toBeCloseTo(Math.sqrt(((0.6 - 1.3 / 3) ** 2 + (0.5 - 1.3 / 3) ** 2 + (0.2 - 1.3 / 3) ** 2) / 2), 12);
    expect([b.base.min, b.base.max]).toEqual([0.2, 0.6]);
    expect(b.gain?.mean).toBeCloseTo(0.35 / 3, 12);
    expect(b.gain?.sd).toBeCloseTo(Math.sqrt((2 * (0.1 - 0.35 / 3) ** 2 + (0.15 - 0.35 / 3) ** 2) / 2), 12);
    // GM: b3 has none, so two cases
    expect(b.classes.GM.base.n).toBe(2);
    expect(b.classes.GM.gain).toMatchObject({ n: 2 });
    expect(b.classes.GM.gain?.mean).toBeCloseTo(0.2, 12);
    expect(b.classes.CSF.adapted?.max).toBe(0.6);
  });

  it("is the same whatever order the cases come in", () => {
    expect(studyTable([...results].reverse(), CLASSES)).toEqual(table);
  });

  it("CSV: one row per site, 4 decimals, empty for none, RFC 4180 quoting", () => {
    const csv = studyCsv(studyTable([...results, res("c", 'Site "C", west', [0.5, 0.5], null)], CLASSES), CLASSES).trim().split("\n");
    expect(csv[0].split(",").slice(0, 17)).toEqual(["site", "n", "failed", "trained_on", "adapter", "base_mean", "base_sd", "base_min", "base_max", "adapter_mean", "adapter_sd", "adapter_min", "adapter_max", "gain_mean", "gain_sd", "gain_ci95_low", "gain_ci95_high"]);
    expect(csv[0]).toContain("base_CSF_mean,base_CSF_sd,adapter_CSF_mean,adapter_CSF_sd,gain_CSF_mean,gain_CSF_sd");
    expect(csv[1]).toMatch(/^A,1,0,0,,0\.7000,,0\.7000,0\.7000,,,,,,,,,0\.8000,/);
    expect(csv[2]).toMatch(/^B,3,1,0,ad,(?:[0-9.]*,){10}0\.\d{4},0\.\d{4},/);
    expect(csv[3]).toMatch(/^"Site ""C"", west",1,0,0,,0\.5000,/);
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a\nb")).toBe('"a\nb"');
    const cases = casesCsv(results, CLASSES).trim().split("\n");
    const beyond = ["CSF", "GM"].flatMap((c) => ["base", "adapter"].flatMap((w) => [`${w}_${c}_volerr_ml`, `${w}_${c}_volerr_pct`, `${w}_${c}_hd95`]));
    expect(cases[0]).toBe(`id,site,image,label,convention,adapter,trained_on,base_dice,adapter_dice,gain,base_CSF,adapter_CSF,gain_CSF,base_GM,adapter_GM,gain_GM,${beyond.join(",")},error`);
    // these cases have no volume error or HD95 (a study written before them): empty cells
    expect(cases[1]).toBe(`a1,A,a1.nii,a1_seg.nii,classes,,,0.7000,,,0.8000,,,0.6000,,${",".repeat(13)}`);
    expect(cases[5]).toBe(`b4,B,b4.nii,b4_seg.nii,,ad,,,,,,,,,,,${",".repeat(12)}cannot read b4.nii`);
  });

  it("formats Dice for people with 3 decimals", () => {
    expect([formatDice(0.61234), formatDice(null), formatGain(0.0415), formatGain(-0.01), formatGain(-0.00001)]).toEqual(["0.612", "—", "+0.042", "-0.010", "0.000"]);
  });
});

describe("volume error and HD95 in the study (issue 23 part 5)", () => {
  // per case: volume error % and HD95 per class, base and adapter
  const scored = (dice: number, pct: [number | null, number | null], hd: [number | null, number | null]) => ({
    dice: { CSF: dice, GM: dice },
    meanDice: dice,
    volumeErrorMl: { CSF: (pct[0] ?? 0) / 10, GM: (pct[1] ?? 0) / 10 },
    volumeErrorPct: { CSF: pct[0], GM: pct[1] },
    hd95Mm: { CSF: hd[0], GM: hd[1] },
  });
  const cases: CaseResult[] = [
    { ...res("s2", "S", null, null), adapter: "ad", base: scored(0.5, [-10, 20], [2, 4]), adapted: scored(0.6, [5, -5], [1, 3]) },
    { ...res("s1", "S", null, null), adapter: "ad", base: scored(0.4, [30, null], [6, null]), adapted: scored(0.7, [-10, 0], [2, 1]) },
    { ...res("t1", "T", null, null), base: scored(0.8, [-4, 8], [1.5, 2.5]) },
  ];
  const [S, T] = studyTable(cases, CLASSES);

  it("per site: mean ± sd over cases of |volume error| % and of HD95, per class and over classes, with the paired gain", () => {
    // |vol err| %: CSF base 30 (s1), 10 (s2); adapter 10, 5. GM base (s1 none), 20; adapter 0, 5
    expect(S.absVolumeErrorPct.classes.CSF.base).toMatchObject({ n: 2, mean: 20, min: 10, max: 30 });
    expect(S.absVolumeErrorPct.classes.CSF.base.sd).toBeCloseTo(Math.SQRT2 * 10, 12);
    expect(S.absVolumeErrorPct.classes.CSF.adapted).toMatchObject({ n: 2, mean: 7.5 });
    expect(S.absVolumeErrorPct.classes.CSF.gain).toMatchObject({ n: 2, mean: -12.5 });
    expect(S.absVolumeErrorPct.classes.GM.base).toMatchObject({ n: 1, mean: 20, sd: null });
    // over classes per case (classes with a value): base s1 30, s2 15 -> 22.5; adapter s1 5, s2 5
    expect(S.absVolumeErrorPct.mean.base).toMatchObject({ n: 2, mean: 22.5, min: 15, max: 30 });
    expect(S.absVolumeErrorPct.mean.adapted).toMatchObject({ n: 2, mean: 5, sd: 0 });
    // HD95 over classes: base s1 6, s2 3; adapter s1 1.5, s2 2
    expect(S.hd95Mm.mean.base).toMatchObject({ n: 2, mean: 4.5 });
    expect(S.hd95Mm.mean.base.sd).toBeCloseTo(Math.sqrt(((6 - 4.5) ** 2 + (3 - 4.5) ** 2) / 1), 12);
    expect(S.hd95Mm.mean.gain).toMatchObject({ n: 2, mean: -2.75 });
    expect(S.hd95Mm.classes.GM.adapted).toMatchObject({ n: 2, mean: 2 });
    // a site without adapter: base only
    expect(T.hd95Mm.mean).toEqual({ base: { n: 1, mean: 2, sd: null, min: 2, max: 2 }, adapted: null, gain: null });
    expect(T.absVolumeErrorPct.classes.GM.base.mean).toBe(8);
  });

  it("CSV columns: the table's volerr_pct and hd95 summaries, the cases' volume error and HD95 per class", () => {
    const [header, s, t] = studyCsv([S, T], CLASSES).trim().split("\n").map((l) => l.split(","));
    const at = (row: string[], col: string) => row[header.indexOf(col)];
    for (const col of ["base_volerr_pct_mean", "adapter_volerr_pct_sd", "gain_hd95_mean", "base_CSF_volerr_pct_mean", "adapter_GM_hd95_sd", "gain_GM_hd95_mean"]) expect(header, col).toContain(col);
    expect([at(s, "base_volerr_pct_mean"), at(s, "adapter_volerr_pct_mean"), at(s, "base_hd95_mean"), at(s, "gain_hd95_mean")]).toEqual(["22.5000", "5.0000", "4.5000", "-2.7500"]);
    expect([at(s, "base_CSF_volerr_pct_mean"), at(s, "base_CSF_volerr_pct_sd"), at(s, "adapter_GM_hd95_mean"), at(s, "base_GM_hd95_sd")]).toEqual(["20.0000", "14.1421", "2.0000", ""]);
    expect([at(t, "base_hd95_mean"), at(t, "adapter_hd95_mean"), at(t, "gain_hd95_mean")]).toEqual(["2.0000", "", ""]);
    const [ch, s1] = casesCsv(cases, CLASSES).trim().split("\n").map((l) => l.split(","));
    const cell = (col: string) => s1[ch.indexOf(col)];
    expect([cell("id"), cell("base_CSF_volerr_ml"), cell("base_CSF_volerr_pct"), cell("base_CSF_hd95"), cell("base_GM_volerr_pct"), cell("base_GM_hd95"), cell("adapter_GM_hd95"), cell("error")]).toEqual(["s1", "3.0000", "30.0000", "6.0000", "", "", "1.0000", ""]);
  });

  it("merge keeps them bit for bit, and still merges studies written before them", () => {
    const model = { id: "m", version: "1" };
    const shard = (k: number) => JSON.parse(JSON.stringify(studyJson(model, CLASSES, cases.filter((_, i) => i % 2 === k - 1), { index: k, count: 2, total: cases.length })));
    const merged = mergeStudies([shard(2), shard(1)]);
    expect(JSON.stringify(merged)).toBe(JSON.stringify(studyJson(model, CLASSES, cases)));
    const old = [res("a1", "A", [0.8, 0.6], null), res("b1", "B", [0.4, 0.6], [0.4, 0.9])];
    const before = mergeStudies([JSON.parse(JSON.stringify(studyJson(model, CLASSES, old)))]);
    expect(before.cases[0].base).toEqual({ dice: { CSF: 0.8, GM: 0.6 }, meanDice: 0.7 });
    expect(before.table[0].hd95Mm.mean.base).toMatchObject({ n: 0, mean: null });
    expect(() => mergeStudies([{ ...shard(1), cases: [{ ...shard(1).cases[0], base: { ...shard(1).cases[0].base, hd95Mm: { CSF: "far" } } }] }, shard(2)], ["s1", "s2"])).toThrow(/s1 is not a valid siteseg study: cases\.0\.base\.hd95Mm\.CSF/);
  });
});

describe("mergeStudies", () => {
  const model = { id: "m", version: "1" };
  const all = [res("a1", "A", [0.8, 0.6], null), res("b1", "B", [0.4, 0.6], [0.4, 0.9]), res("b2", "B", [0.5, 0.7], [0.6, 0.8])];
  const shard = (k: number, n = 2) => JSON.parse(JSON.stringify(studyJson(model, CLASSES, all.filter((_, i) => i % n === k - 1), { index: k, count: n, total: all.length })));

  it("joins shards into what one run gives", () => {
    expect(mergeStudies([shard(2), shard(1)])).toEqual(studyJson(model, CLASSES, all));
  });

  it("keeps each case's time, adapter sha256 and the model file's sha256 bit for bit; studies without them still merge", () => {
    const hashed = { ...model, sha256: "f0".repeat(32) };
    // in runStudy's key order, which the schema keeps
    const timed = all.map(({ adapter, base, adapted, trainedOn, error, ...c }, i) => ({ ...c, adapter, adapterSha256: adapter ? "ab".repeat(32) : null, base, adapted, trainedOn, error, ms: 1000 + i }));
    const part = (k: number, m: StudyModel = hashed) => JSON.parse(JSON.stringify(studyJson(m, CLASSES, timed.filter((_, i) => i % 2 === k - 1), { index: k, count: 2, total: timed.length })));
    const whole = studyJson(hashed, CLASSES, timed);
    expect(JSON.stringify(mergeStudies([part(2), part(1)]))).toBe(JSON.stringify(whole));
    expect(whole.cases[1]).toMatchObject({ adapterSha256: "ab".repeat(32), ms: 1001 });
    // a shard that does not record the model file: merged, the model file is not claimed
    expect(mergeStudies([part(1), part(2, model)]).model).toEqual(model);
    expect(() => mergeStudies([part(1), part(2, { ...model, sha256: "0e".repeat(32) })], ["s1", "s2"])).toThrow(/s2 was made with a model file of sha256 0e0e0e0e0e0e…, s1 with f0f0f0f0f0f0… \(both m 1\)/);
  });

  it.each([
    ["a missing shard", () => [shard(1, 3), shard(3, 3)], /shard 2\/3 is missing/],
    ["a duplicate shard", () => [shard(1), shard(1)], /shard 1\/2 is given twice \(s1 and s2\)/],
    ["different counts", () => [shard(1), shard(2, 3)], /s2 is shard 2\/3 but s1 is 1\/2/],
    ["another model", () => [shard(1), { ...shard(2), model: { id: "m", version: "2" } }], /s2 was made with model m 2/],
    ["other classes", () => [shard(1), { ...shard(2), classes: ["WM"] }], /s2 scores classes WM/],
    ["a duplicate case", () => [shard(1), { ...shard(2), cases: [...shard(2).cases, shard(1).cases[0]] }], /case a1 appears in both s1 and s2/],
    ["another document", () => [shard(1), { hello: 1 }], /s2 is not a siteseg study/],
    ["a broken case", () => [shard(1), { ...shard(2), cases: [{ ...shard(2).cases[0], base: { dice: {}, meanDice: "x" } }] }], /s2 is not a valid siteseg study: cases\.0\.base\.meanDice/],
    ["shards of another list", () => [shard(1), { ...shard(2), shard: { index: 2, count: 2, total: 9 } }], /different case lists/],
    // issue 24 part 6: scores no study gives
    ["a shard beyond its count", () => [shard(1), { ...shard(2), shard: { index: 3, count: 2, total: 3 } }], /s2 calls itself shard 3\/2: a shard's index runs from 1 to its count/],
    ["a Dice above 1", () => [shard(1), { ...shard(2), cases: [{ ...shard(2).cases[0], base: { dice: { CSF: 1.4, GM: 0.6 }, meanDice: 1 } }] }], /^s2: case b1: the base's Dice of CSF is 1\.4, outside \[0, 1\]: the file was altered or damaged/],
    ["a negative Dice", () => [shard(1), { ...shard(2), cases: [{ ...shard(2).cases[0], adapted: { dice: { CSF: -0.2, GM: 0.9 }, meanDice: 0.35 } }] }], /s2: case b1: the adapter's Dice of CSF is -0\.2, outside \[0, 1\]/],
    ["a mean Dice that is not its classes' mean", () => [shard(1), { ...shard(2), cases: [{ ...shard(2).cases[0], base: { dice: { CSF: 0.4, GM: 0.6 }, meanDice: 0.9 } }] }], /s2: case b1: the base's mean Dice 0\.9 is not the mean of its classes' Dice \(0\.5\)/],
    ["Dice of other classes", () => [shard(1), { ...shard(2), cases: [{ ...shard(2).cases[0], base: { dice: { CSF: 0.4, WM: 0.6 }, meanDice: 0.5 } }] }], /s2: case b1: the base's Dice are for CSF, WM, but the study scores CSF, GM/],
    ["a table its cases do not give", () => [shard(1), { ...shard(2), table: [{ ...shard(2).table[0], base: { ...shard(2).table[0].base, mean: 0.99 } }] }], /s2: the table does not match its cases at site B's row \(1 cases, base mean Dice 0\.5/],
    ["a table with a site too many", () => [{ ...shard(1), table: [...shard(1).table, shard(2).table[0]] }, shard(2)], /s1: the table does not match its cases at its 3 rows \(2 sites in its cases\)/],
  ])("refuses %s", (_, docs, message) => {
    expect(() => mergeStudies(docs(), ["s1", "s2"])).toThrow(message);
  });
});

describe("runStudy", () => {
  const manifest = parseManifest({
    schemaVersion: 1, id: "fake", name: "fake", version: "0",
    files: { model: { path: "none", sha256: "0".repeat(64), bytes: 1 } },
    input: { orientation: "RAS", spacing: [1, 1, 1], sliceAxis: 2, contextSlices: 1, multipleOf: 8, maxSliceSize: [64, 64], batchSize: 3, inputName: "image", outputName: "logits" },
    preprocess: [{ kind: "percentileScale", lower: 0, upper: 100 }],
    classes: [{ index: 0, name: "bg", color: [0, 0, 0] }, { index: 1, name: "A", color: [255, 0, 0] }, { index: 2, name: "B", color: [0, 255, 0] }],
    background: "bg",
    labelConventions: ["tissue"],
  });
  const vol = (data: number[], shift = 0): Volume => ({ dims: [data.length, 1, 1], affine: [1, 0, 0, shift, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data: Uint8Array.from(data) });
  const files: Record<string, Uint8Array> = {
    "s/x.nii": writeNifti(vol([0, 1, 1, 2, 2, 0])),
    "s/x_seg.nii": writeNifti(vol([0, 1, 1, 2, 2, 2])),
    "s/far_seg.nii": writeNifti(vol([0, 1, 1, 2, 2, 2], 1000)),
    "t/y.nii": writeNifti(vol([1, 1, 2, 2])),
    "t/y_seg.nii": writeNifti(vol([1, 2, 2, 2])),
  };
  const adapter = { name: "s-adapter", config: {} } as Adapter;
  const fakeDeps = (over: Partial<StudyDeps> = {}): StudyDeps & { calls: string[] } => {
    const calls: string[] = [];
    return {
      calls,
      manifest,
      readFile: async (p) => {
        if (!files[p]) throw new Error(`cannot read ${p}: no such file`);
        return files[p];
      },
      // "segmentation": the scan's values are labels; the adapter fixes the last voxel
      segment: async (scan, a, onProgress) => {
        calls.push(`segment ${a?.name ?? "base"}`);
        onProgress?.(1, 2);
        onProgress?.(2, 2);
        const data = Uint8Array.from(scan.data);
        if (a) data[data.length - 1] = 2;
        return { ...scan, data };
      },
      adapterFor: async (site) => {
        calls.push(`adapter ${site}`);
        return site === "s" ? adapter : null;
      },
      ...over,
    };
  };
  const cases: StudyCase[] = [
    { id: "t/y", site: "t", image: "t/y.nii", label: "t/y_seg.nii" },
    { id: "s/x", site: "s", image: "s/x.nii", label: "s/x_seg.nii" },
    { id: "s/missing", site: "s", image: "s/missing.nii", label: "s/x_seg.nii" },
    { id: "s/far", site: "s", image: "s/x.nii", label: "s/far_seg.nii", convention: "tissue" },
  ];

  it("scores base and the site's adapter, records failures and goes on", async () => {
    const deps = fakeDeps();
    const progress: number[] = [];
    const seen: string[] = [];
    const results = await runStudy(cases, deps, { onProgress: (f) => progress.push(f), onCase: (r) => seen.push(r.id) });
    expect(results.map((r) => r.id)).toEqual(["s/far", "s/missing", "s/x", "t/y"]);
    expect(seen).toEqual(results.map((r) => r.id));
    const [far, missing, x, y] = results;
    expect(far.error).toMatch(/covers none of the scan/);
    expect(far.base).toBeNull();
    expect(missing.error).toBe("cannot read s/missing.nii: no such file");
    expect(x).toMatchObject({ convention: "classes", adapter: "s-adapter", error: null, base: { dice: { A: 1, B: 0.8 }, meanDice: 0.9 }, adapted: { dice: { A: 1, B: 1 }, meanDice: 1 } });
    // 1 mm voxels: B predicted 2 voxels of the reference's 3 (-0.001 mL, -33.3%); HD95: reference→prediction
    // distances 0, 0, 1 (P95 at rank 1.9: 0.9), prediction→reference 0, 0; the adapter's B is the reference's
    expect(x.base?.volumeErrorMl?.A).toBe(0);
    expect(x.base?.volumeErrorMl?.B).toBeCloseTo(-0.001, 12);
    expect(x.base?.volumeErrorPct?.B).toBeCloseTo(-100 / 3, 12);
    expect(x.base?.hd95Mm).toEqual({ A: 0, B: expect.closeTo(0.9, 12) });
    expect(x.adapted).toMatchObject({ volumeErrorMl: { A: 0, B: 0 }, volumeErrorPct: { A: 0, B: 0 }, hd95Mm: { A: 0, B: 0 } });
    expect(y).toMatchObject({ adapter: null, adapted: null, base: { dice: { A: 2 / 3, B: 0.8 } } });
    // a label from another scan is refused before segmenting; one adapter look-up per site
    expect(deps.calls).toEqual(["adapter s", "segment base", "segment s-adapter", "adapter t", "segment base"]);
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(1);
    expect(progress.every((p, i) => i === 0 || p >= progress[i - 1])).toBe(true);
  });

  it("marks a case the site's adapter learnt from (its image's sha256) and leaves it out of the site's figures", async () => {
    const learnt = { name: "s-adapter", config: { trained_on_sha256: [await sha256Hex(files["s/x.nii"])] } } as unknown as Adapter;
    const results = await runStudy(cases, fakeDeps({ adapterFor: async (site) => (site === "s" ? learnt : null) }));
    const x = results.find((r) => r.id === "s/x")!;
    expect(x).toMatchObject({ trainedOn: true, error: null, adapted: { meanDice: 1 } });
    expect(results.filter((r) => r.trainedOn)).toHaveLength(1);
    const [s] = studyTable(results, ["A", "B"]);
    expect(s).toMatchObject({ site: "s", n: 0, failed: 2, trainedOn: 1 });
    expect(s.base.mean).toBeNull();
    expect(casesCsv(results, ["A", "B"])).toMatch(/\ns\/x,s,s\/x\.nii,s\/x_seg\.nii,classes,s-adapter,yes,0\.9000,1\.0000,/);
  });

  it("with a host pause (the app), HD95 is computed in slices between host tasks, to the same scores", async () => {
    let pauses = 0;
    const sliced = await runStudy(cases, fakeDeps({ pause: async () => void pauses++ }));
    expect(pauses).toBeGreaterThan(0);
    // each case's time differs between runs; everything else is the same
    const untimed = (rs: CaseResult[]) => rs.map(({ ms: _ms, ...r }) => r);
    expect(untimed(sliced)).toEqual(untimed(await runStudy(cases, fakeDeps())));
  });

  it("records each case's time and the sha256 of the adapter that scored it, where the host knows it", async () => {
    const hashed = { ...adapter, sha256: "ab".repeat(32) } as Adapter;
    const results = await runStudy(cases, fakeDeps({ adapterFor: async (site) => (site === "s" ? hashed : null) }));
    // s/far and s/missing fail before their adapter is looked up
    expect(results.map((r) => [r.id, r.adapterSha256])).toEqual([["s/far", null], ["s/missing", null], ["s/x", "ab".repeat(32)], ["t/y", null]]);
    for (const r of results) expect(r.ms, r.id).toBeGreaterThanOrEqual(0);
    expect((await runStudy(cases.slice(1, 2), fakeDeps()))[0].adapterSha256).toBeNull(); // an adapter without one
  });

  it("knows a case by its scan as well as its file: the same scan gzipped (or served decompressed) is still the adapter's own", async () => {
    const scan = readVolume(files["s/x.nii"], "s/x.nii");
    const learnt = { name: "s-adapter", config: { training_cases: [{ sha256: ["0".repeat(64)], volume_sha256: [await volumeSha256(scan)] }] } } as unknown as Adapter;
    const gz: Record<string, Uint8Array> = { ...files, "s/x.nii": writeNifti(scan, { gzip: true }) };
    const results = await runStudy(cases.slice(0, 2), { ...fakeDeps({ adapterFor: async (site) => (site === "s" ? learnt : null) }), readFile: async (p) => gz[p] ?? Promise.reject(new Error(`cannot read ${p}`)) });
    expect(results.find((r) => r.id === "s/x")?.trainedOn).toBe(true);
  });

  it("records a refused adapter on each of its site's cases", async () => {
    const deps = fakeDeps({ adapterFor: async () => { throw new Error('Adapter "s" was trained for base model "other"'); } });
    const results = await runStudy(cases.slice(0, 2), deps);
    expect(results.map((r) => r.error)).toEqual(['Adapter "s" was trained for base model "other"', 'Adapter "s" was trained for base model "other"']);
  });

  it("a cancel stops the whole study and rejects", async () => {
    const ctl = new AbortController();
    const deps = fakeDeps({
      segment: async () => {
        ctl.abort();
        throw new CancelledError();
      },
    });
    await expect(runStudy(cases, deps, { signal: ctl.signal })).rejects.toBeInstanceOf(CancelledError);
  });
});

describe("bootstrap interval of a mean gain (issue 23 part 2)", () => {
  it("is seeded (the same on every call), holds the mean, and is null below two cases", () => {
    const gains = [0.12, 0.3, 0.05, 0.22, 0.18, 0.4, 0.09];
    const ci = bootstrapMeanCi(gains)!;
    expect(bootstrapMeanCi(gains)).toEqual(ci);
    const mean = gains.reduce((a, b) => a + b) / gains.length;
    expect(ci[0]).toBeLessThan(mean);
    expect(ci[1]).toBeGreaterThan(mean);
    expect(bootstrapMeanCi([0.2])).toBeNull();
    for (const end of bootstrapMeanCi([0.2, 0.2, 0.2])!) expect(end).toBeCloseTo(0.2, 12);
  });

  it("matches the normal interval mean ± 1.96 sd/√n on many cases", () => {
    const rand = seededRandom(7);
    const gains = Array.from({ length: 400 }, () => rand() - 0.3);
    const n = gains.length, mean = gains.reduce((a, b) => a + b) / n;
    const se = Math.sqrt(gains.reduce((a, g) => a + (g - mean) ** 2, 0) / (n - 1) / n);
    const [lo, hi] = bootstrapMeanCi(gains)!;
    expect(lo).toBeCloseTo(mean - 1.96 * se, 2);
    expect(hi).toBeCloseTo(mean + 1.96 * se, 2);
  });

  it("quantiles interpolate between order statistics (numpy's default)", () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([0, 10], 0.025)).toBeCloseTo(0.25, 12);
  });
});
