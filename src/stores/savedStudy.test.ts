import { describe, expect, it } from "vitest";
import type { CaseResult, Scores } from "../core/study";
import { parseSavedStudy, savedStudyRecord } from "./savedStudy";

// The last study's results as kept in IndexedDB: what is written reads back the same (through the
// structured clone IndexedDB stores), and anything else reads as no saved study.

const classes = ["CSF", "GM", "WM"];
const model = { id: "siteseg-tissue", version: "1.0.0", sha256: "ab".repeat(32) };
const scores = (csf: number, gm: number, wm: number): Scores => ({
  dice: { CSF: csf, GM: gm, WM: wm },
  meanDice: (csf + gm + wm) / 3,
  volumeErrorMl: { CSF: 1.5, GM: -2, WM: 0.25 },
  volumeErrorPct: { CSF: 3, GM: -1, WM: null },
  hd95Mm: { CSF: 2, GM: 1.5, WM: null },
});
const result = (id: string, site: string, base: Scores | null, adapted: Scores | null, error: string | null = null): CaseResult => ({
  id, site, image: `${id}.nii.gz`, label: `${id}_seg.nii.gz`, convention: "classes", adapter: adapted ? site : null, adapterSha256: null, base, adapted, trainedOn: false, error, ms: 4200,
});
const results = [
  result("a/1", "a", scores(0.8, 0.7, 0.9), scores(0.9, 0.8, 0.95)),
  result("a/2", "a", scores(0.6, 0.5, 0.7), scores(0.85, 0.75, 0.9)),
  result("b/1", "b", null, null, "b/1.nii.gz: the file is truncated"),
];
const end = { savedAt: Date.UTC(2026, 11, 6, 21, 40), status: "cancelled" as const, error: null, totalCases: 5 };
const stored = () => structuredClone(savedStudyRecord(model, classes, results, end));

describe("saved study results", () => {
  it("read back as written: when, how it ended, the model, every case's scores and the table", () => {
    const saved = parseSavedStudy(stored());
    expect(saved).not.toBeNull();
    expect({ savedAt: saved!.savedAt, status: saved!.status, error: saved!.error, totalCases: saved!.totalCases }).toEqual(end);
    expect(saved!.study.model).toEqual(model);
    expect(saved!.study.classes).toEqual(classes);
    expect(saved!.study.cases).toEqual(results);
    expect(saved!.study.table.map((r) => [r.site, r.n, r.failed, r.base.mean, r.adapted?.mean ?? null])).toEqual([
      ["a", 2, 0, expect.closeTo(0.7, 9), expect.closeTo(0.8583333333, 9)],
      ["b", 0, 1, null, null],
    ]);
  });

  it("holds scores and file names, no image data", () => {
    expect(JSON.stringify(stored()).length).toBeLessThan(10_000);
  });

  it("anything else reads as none: nothing saved, another schema, damaged scores or table, fewer cases than results", () => {
    const bad: [string, (r: ReturnType<typeof stored>) => unknown][] = [
      ["nothing", () => undefined],
      ["not a record", () => "siteseg"],
      ["another schema version", (r) => ({ ...r, schemaVersion: 2 })],
      ["another kind", (r) => ({ ...r, kind: "siteseg-study" })],
      ["no study", (r) => ({ ...r, study: undefined })],
      ["a bad date", (r) => ({ ...r, savedAt: "yesterday" })],
      ["an unknown end", (r) => ({ ...r, status: "paused" })],
      ["a Dice above 1", (r) => (r.study.cases[0].base!.dice.CSF = 1.5, r)],
      ["a mean Dice that is not its classes'", (r) => (r.study.cases[1].adapted!.meanDice = 0.1, r)],
      ["a table its cases do not give", (r) => (r.study.table[0].n = 7, r)],
      ["a case with no id", (r) => ((r.study.cases[0] as { id?: string }).id = undefined, r)],
      ["more results than cases run", (r) => ({ ...r, totalCases: 2 })],
      ["no case", (r) => ({ ...r, study: { ...r.study, cases: [], table: [] } })],
    ];
    for (const [what, spoil] of bad) expect(parseSavedStudy(spoil(stored())), what).toBeNull();
  });
});
