import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { diceReport, diceReportCsv } from "../export";
import type { Evaluation } from "../metrics/evaluate";
import { casesCsv, csvField, csvLine, csvText, neutraliseCell, parseCaseList, parseCsv, studyCsv, studyTable, type CaseResult } from ".";

// Issue 24 part 6: every CSV the app and the CLI write (the study table, the cases, the Dice
// report) neutralises cells a spreadsheet would run as a formula (OWASP CSV injection), and any
// text in case ids, site names, paths, adapters and errors survives write → parse. Bounded for CI
// (FUZZ_RUNS, default 150 per property); a longer run: FUZZ_RUNS=20000 npx vitest run src/core/study/csv-fuzz.test.ts
const runs = Number(process.env.FUZZ_RUNS ?? 150);

/** A cell a spreadsheet would read as a formula: starts with =, +, -, @, tab or CR and is not a plain number. */
const runnable = (cell: string) => /^[=+\-@\t\r]/.test(cell) && !/^-?\d+(\.\d+)?$/.test(cell);

/** Text built from the characters that matter here (formula starts, quotes, separators, line breaks, a BOM) and any others. */
const text = fc
  .array(fc.oneof(fc.constantFrom("=", "+", "-", "@", "\t", "\r", "\n", "\r\n", "'", '"', ",", " ", "1", ".", "\uFEFF", "CSF"), fc.string({ unit: "binary", maxLength: 4 })), { maxLength: 8 })
  .map((parts) => parts.join(""));

const CLASSES = ["CSF", "GM", "WM"];
const dice = fc.oneof(fc.constant(null), fc.double({ min: 0, max: 1, noNaN: true }));
const scores = fc.record({ CSF: dice, GM: dice, WM: dice }).map((d) => {
  const present = CLASSES.map((k) => d[k as keyof typeof d]).filter((v): v is number => v !== null);
  return { dice: d, meanDice: present.length ? present.reduce((a, v) => a + v, 0) / present.length : null, volumeErrorPct: { CSF: -12.5, GM: null, WM: 3 } };
});
const caseResult = fc.record({ id: text, site: text, image: text, label: text, adapter: fc.option(text), base: fc.option(scores), adapted: fc.option(scores), error: fc.option(text), trainedOn: fc.boolean() });

/** The cells of a CSV file as a spreadsheet reads them: every record the same width as the header, none runnable. */
function cellsOf(csv: string): string[][] {
  const rows = parseCsv(csv).map((r) => r.fields);
  for (const row of rows) {
    expect(row.length).toBe(rows[0].length);
    for (const cell of row) expect(runnable(cell), JSON.stringify(cell)).toBe(false);
  }
  return rows;
}

describe("CSV cells a spreadsheet would run (OWASP)", () => {
  it("text cells get a quote before them; plain numbers, negative ones too, stay numbers", () => {
    expect(["=1+1", "+1", "-cmd|' /C calc'!A0", "@SUM(A1)", "\tx", "\rx"].map(neutraliseCell)).toEqual(["'=1+1", "'+1", "'-cmd|' /C calc'!A0", "'@SUM(A1)", "'\tx", "'\rx"]);
    expect(["-1.2", "-0.0415", "12", "0.5000", "site-A", "a=b", "", "'quoted"].map(neutraliseCell)).toEqual(["-1.2", "-0.0415", "12", "0.5000", "site-A", "a=b", "", "'quoted"]);
    // a quote already before a formula character: one more, so that reading gives the text back
    expect(neutraliseCell("'=x")).toBe("''=x");
    expect(["'=x", "''=x", "'quoted", "=x"].map((v) => csvText(neutraliseCell(v)))).toEqual(["'=x", "''=x", "'quoted", "=x"]);
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvLine(["-0.0120", "-x", "\r=1"])).toBe(`-0.0120,'-x,"'\r=1"`);
  });

  it("the cases CSV: any text round-trips, no cell runs", () => {
    fc.assert(
      fc.property(fc.array(caseResult, { maxLength: 5 }), (cases) => {
        const results: CaseResult[] = cases.map((c, i) => ({ ...c, id: `${c.id}#${i}`, convention: "classes", adapted: c.adapter === null ? null : c.adapted }));
        const rows = cellsOf(casesCsv(results, CLASSES));
        expect(rows.length).toBe(results.length + 1);
        const col = (name: string) => rows[0].indexOf(name);
        const byId = new Map(rows.slice(1).map((r) => [csvText(r[col("id")]), r]));
        for (const r of results) {
          const row = byId.get(r.id);
          expect(row, r.id).toBeDefined();
          expect(["site", "image", "label", "adapter", "error"].map((k) => csvText(row![col(k)]))).toEqual([r.site, r.image, r.label, r.adapter ?? "", r.error ?? ""]);
          // numbers are written as they are, negative volume errors too
          if (r.base) expect(row![col("base_CSF_volerr_pct")]).toBe("-12.5000");
        }
      }),
      { numRuns: runs },
    );
  });

  it("the study table CSV: any site and adapter name round-trips, no cell runs", () => {
    fc.assert(
      fc.property(fc.array(caseResult, { minLength: 1, maxLength: 4 }), (cases) => {
        const results: CaseResult[] = cases.map((c, i) => ({ ...c, id: `c${i}`, convention: null, error: null, adapted: c.adapter === null ? null : c.adapted }));
        const table = studyTable(results, CLASSES);
        const rows = cellsOf(studyCsv(table, CLASSES));
        expect(rows.slice(1).map((r) => [csvText(r[0]), csvText(r[4])])).toEqual(table.map((t) => [t.site, t.adapter ?? ""]));
      }),
      { numRuns: runs },
    );
  });

  it("the Dice report CSV (the app's Export Dice CSV): any scan, label and adapter name round-trips, no cell runs", () => {
    const ev: Evaluation = {
      convention: "classes", coverage: 1, ignored: { voxels: 0, labels: [] }, excluded: { voxels: 0, labels: [] },
      dice: { CSF: 0.5, GM: null, WM: 0.9 }, meanDice: 0.7, counts: [{ predicted: 10, reference: 10 }, { predicted: 4, reference: 8 }, { predicted: 0, reference: 0 }, { predicted: 9, reference: 9 }],
      perSlice: { axis: 2, values: [] }, resampled: false,
    };
    fc.assert(
      fc.property(text, text, fc.option(text), (image, label, adapter) => {
        const rows = cellsOf(diceReportCsv(diceReport({ model: { id: "m", version: "1" }, adapter, image, label, evaluation: ev, classNames: ["background", ...CLASSES], voxelMl: 1 })));
        for (const row of rows.slice(1)) expect([csvText(row[0]), csvText(row[1]), csvText(row[5])]).toEqual([image, label, adapter ?? ""]);
        // CSF: 4 mL predicted of 8: a volume error of -4 mL, -50 %, written as numbers
        expect(rows[1].slice(6, 12)).toEqual(["CSF", "0.5000", "4.000", "8.000", "-4.000", "-50.00"]);
      }),
      { numRuns: runs },
    );
  });

  it("a case list written by csvLine reads back as written (the case-list reader undoes the neutralising quote)", () => {
    // the reader trims cells and refuses empty ones: paths and sites without spaces at their ends
    const cell = text.map((t) => t.trim()).filter((t) => t.length > 0);
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(cell, cell, cell), { maxLength: 5, selector: ([image]) => image.replace(/\.(nii(\.gz)?|mg[hz])$/i, "") }), (rows) => {
        const csv = [["image", "label", "site"], ...rows].map(csvLine).join("\n") + "\n";
        cellsOf(csv);
        const cases = parseCaseList(csv, ["classes"]);
        const sorted = [...rows].sort(([a], [b]) => {
          const x = a.replace(/\.(nii(\.gz)?|mg[hz])$/i, ""), y = b.replace(/\.(nii(\.gz)?|mg[hz])$/i, "");
          return x < y ? -1 : x > y ? 1 : 0;
        });
        expect(cases.map((c) => [c.image, c.label, c.site])).toEqual(sorted);
      }),
      { numRuns: runs },
    );
  });
});
