import * as Plot from "@observablehq/plot";
import { useEffect, useRef } from "react";
import type { CaseResult } from "../../core/study";

const RUNS = ["Base", "Base + adapter"] as const;
const THEMES = {
  dark: { background: "transparent", color: "#cbd5e1", line: "#64748b", runs: ["#94a3b8", "#e879f9"] },
  light: { background: "#ffffff", color: "#1e293b", line: "#94a3b8", runs: ["#64748b", "#c026d3"] },
};

interface Row {
  id: string;
  site: string;
  run: (typeof RUNS)[number];
  dice: number;
  /** The site's adapter learnt from this case: drawn hollow, left out of the means (as the table leaves it out). */
  trainedOn: boolean;
}

function rowsOf(results: CaseResult[]): Row[] {
  return results.flatMap((r) => [
    ...(r.base?.meanDice != null ? [{ id: r.id, site: r.site, run: RUNS[0], dice: r.base.meanDice, trainedOn: r.trainedOn }] : []),
    ...(r.adapted?.meanDice != null ? [{ id: r.id, site: r.site, run: RUNS[1], dice: r.adapted.meanDice, trainedOn: r.trainedOn }] : []),
  ]);
}

/** The note under a chart that draws trained-on cases. */
export const TRAINED_ON_NOTE = "Hollow dots, dashed lines: cases the site's adapter learnt from, drawn for reference; the means (ticks) and the table leave them out.";

/**
 * Per-case mean Dice by site, base and adapter side by side (Observable Plot): a dot per case and
 * run, a line joining each case's pair, a thick tick at each mean. A case the site's adapter learnt
 * from is drawn hollow with a dashed line and left out of the mean, as the table leaves it out.
 */
export function studyPlot(results: CaseResult[], { width, theme, siteLabel = (s) => s }: { width: number; theme: keyof typeof THEMES; siteLabel?: (site: string) => string }): SVGSVGElement {
  const t = THEMES[theme];
  const rows = rowsOf(results);
  const judged = rows.filter((d) => !d.trainedOn);
  const trained = rows.filter((d) => d.trainedOn);
  const svg = Plot.plot({
    width,
    height: 300,
    marginLeft: 48,
    marginTop: 40, // room for the y label above the facet titles
    marginBottom: 36,
    style: { background: t.background, color: t.color, fontSize: "12px", fontFamily: "system-ui, sans-serif" },
    fx: { label: null, padding: 0.12, tickFormat: siteLabel },
    x: { domain: [...RUNS], label: null, tickFormat: (d: string) => (d === RUNS[0] ? "base" : "+ adapter"), padding: 0.25 },
    y: { domain: [0, 1], grid: true, label: "Mean Dice per case" },
    color: { domain: [...RUNS], range: t.runs },
    marks: [
      Plot.line(judged, { fx: "site", x: "run", y: "dice", z: "id", stroke: t.line, strokeOpacity: 0.6 }),
      Plot.line(trained, { fx: "site", x: "run", y: "dice", z: "id", stroke: t.line, strokeOpacity: 0.6, strokeDasharray: "3,3" }),
      Plot.dot(judged, { fx: "site", x: "run", y: "dice", fill: "run", r: 4, title: (d: Row) => `${d.id} · ${d.run}: ${d.dice.toFixed(3)}` }),
      Plot.dot(trained, { fx: "site", x: "run", y: "dice", stroke: "run", fill: t.background === "transparent" ? "#0f172a" : t.background, strokeWidth: 2, r: 4.5, title: (d: Row) => `${d.id} · ${d.run}: ${d.dice.toFixed(3)} (trained on, not counted)` }),
      Plot.tickY(judged, Plot.groupX({ y: "mean" }, { fx: "site", x: "run", y: "dice", stroke: "run", strokeWidth: 3 })),
    ],
  });
  svg.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  svg.setAttribute("role", "img");
  return svg as SVGSVGElement;
}

/** A standalone SVG document of the chart with a title line, light background (for slides). */
export function studySvgText(results: CaseResult[], title: string, siteLabel?: (site: string) => string, width = 900): string {
  const inner = studyPlot(results, { width, theme: "light", siteLabel });
  const note = results.some((r) => r.trainedOn);
  const plotHeight = Number(inner.getAttribute("height"));
  const height = plotHeight + 34 + (note ? 22 : 0);
  const esc = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  inner.setAttribute("y", "34");
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<rect width="100%" height="100%" fill="#ffffff"/>` +
    `<text x="12" y="22" font-family="system-ui, sans-serif" font-size="15" font-weight="600" fill="#0f172a">${esc(title)}</text>` +
    new XMLSerializer().serializeToString(inner) +
    (note ? `<text x="12" y="${plotHeight + 34 + 14}" font-family="system-ui, sans-serif" font-size="11" fill="#475569">${esc(TRAINED_ON_NOTE)}</text>` : "") +
    `</svg>`
  );
}

/** The same SVG drawn at 2× into a PNG. */
export async function studyPngBlob(svgText: string): Promise<Blob> {
  const img = new Image();
  const url = URL.createObjectURL(new Blob([svgText], { type: "image/svg+xml" }));
  try {
    img.src = url;
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth * 2;
    canvas.height = img.naturalHeight * 2;
    const ctx = canvas.getContext("2d")!;
    ctx.scale(2, 2);
    ctx.drawImage(img, 0, 0);
    return await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("the browser could not encode the PNG"))), "image/png"));
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** The chart on screen; redrawn when the results or the width change. */
export function StudyChart({ results, siteLabel }: { results: CaseResult[]; siteLabel: (site: string) => string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let drawnWidth = 0;
    const draw = () => {
      const width = Math.max(320, el.clientWidth);
      if (width === drawnWidth) return; // only a new width needs a new chart (no resize loop)
      drawnWidth = width;
      el.replaceChildren(studyPlot(results, { width, theme: "dark", siteLabel }));
    };
    draw();
    const ro = new ResizeObserver(draw);
    ro.observe(el);
    return () => ro.disconnect();
  }, [results, siteLabel]);
  return <div ref={box} aria-label="Study chart" className="w-full" />;
}
