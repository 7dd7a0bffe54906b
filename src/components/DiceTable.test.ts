import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import type { Evaluation } from "../core/metrics/evaluate";
import { CompareVolumeHd95Table, DiceTable } from "./DiceTable";

// The evaluation panel's tables, rendered to HTML: the columns beside Dice (issue 23 part 5).
const classes = [
  { index: 0, name: "background", color: [0, 0, 0] as [number, number, number] },
  { index: 1, name: "CSF", color: [255, 0, 0] as [number, number, number] },
  { index: 2, name: "GM", color: [0, 255, 0] as [number, number, number] },
];
const evaluation = (hd95Mm?: Evaluation["hd95Mm"]): Evaluation => ({
  convention: "classes",
  coverage: 1,
  ignored: { voxels: 0, labels: [] },
  excluded: { voxels: 0, labels: [] },
  dice: { CSF: 0.8, GM: null },
  meanDice: 0.8,
  counts: [{ predicted: 0, reference: 0 }, { predicted: 1100, reference: 1000 }, { predicted: 300, reference: 0 }],
  perSlice: { axis: 2, values: [] },
  resampled: false,
  ...(hd95Mm ? { hd95Mm } : {}),
});
const cells = (html: string) => [...html.matchAll(/<t[dh][^>]*>(.*?)<\/t[dh]>/g)].map((m) => m[1].replace(/<[^>]+>/g, ""));

describe("DiceTable", () => {
  it("shows predicted and reference mL, volume error % and HD95 mm per class; HD95 '…' until computed", () => {
    const pending = cells(renderToStaticMarkup(createElement(DiceTable, { evaluation: evaluation(), classes, voxelMl: 0.001 })));
    expect(pending.slice(0, 6)).toEqual(["Class", "Dice", "Pred. mL", "Ref. mL", "Vol. err. %", "HD95 mm"]);
    // CSF: 1.1 mL against 1.0 mL, +10%; GM: none in the reference, no percentage
    expect(pending.slice(6, 12)).toEqual(["CSF", "0.800", "1.1", "1.0", "+10.0", "…"]);
    expect(pending.slice(12, 18)).toEqual(["GM", "—", "0.3", "0.0", "—", "…"]);
    const done = cells(renderToStaticMarkup(createElement(DiceTable, { evaluation: evaluation({ CSF: 2.449, GM: null }), classes, voxelMl: 0.001 })));
    expect([done[11], done[17]]).toEqual(["2.4", "—"]);
  });

  it("compares base and adapter on volume error and HD95", () => {
    const html = renderToStaticMarkup(createElement(CompareVolumeHd95Table, { base: evaluation({ CSF: 3, GM: null }), adapted: evaluation(), adapter: "site-a", classes, voxelMl: 0.001 }));
    expect(html).toContain('aria-label="Volume error and HD95"');
    expect(cells(html).slice(5, 10)).toEqual(["CSF", "+10.0", "+10.0", "3.0", "…"]);
  });
});
