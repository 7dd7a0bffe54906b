import * as Plot from "@observablehq/plot";
import { useEffect, useRef, useState } from "react";
import { useApp } from "../../stores/store";

interface Measured {
  site: string;
  image: string;
  slices: number[];
  heldOut: { base: number | null; adapter: number | null };
}

/** The fetal site's leave-cases-out grid (data-efficiency-fetal.json beside the model; scripts/fetal-loco.ts). */
interface FetalGrid {
  base: number | null;
  cells: { cases: number; slicesPerCase: number; mean: number; sd: number | null }[];
}

/**
 * The user's own point (labelled slices → held-out Dice of base and adapter) over the curves the
 * model card measured: the reference sites' (adapt-table.json beside the model, when shipped) and
 * the fetal site's leave-cases-out grid (Dice on cases the adapter never saw, by labelled slices
 * in all, one line per number of training cases; data-efficiency-fetal.json).
 */
export function EfficiencyChart({ slices, base, adapter }: { slices: number; base: number | null; adapter: number | null }) {
  const box = useRef<HTMLDivElement>(null);
  const baseUrl = useApp((s) => {
    const source = s.models.find((m) => m.id === s.modelId)?.source;
    return source?.kind === "url" ? source.baseUrl : undefined; // the shipped model's measured table
  });
  const [measured, setMeasured] = useState<Measured[]>([]);
  const [fetal, setFetal] = useState<FetalGrid | null>(null);

  useEffect(() => {
    if (!baseUrl) return;
    let live = true;
    fetch(`${baseUrl}adapt-table.json`)
      .then((r) => (r.ok ? r.json() : { results: [] }))
      .then((j: { results?: Measured[] }) => live && setMeasured(j.results ?? []))
      .catch(() => live && setMeasured([]));
    fetch(`${baseUrl}data-efficiency-fetal.json`)
      .then((r) => (r.ok ? r.json() : null))
      .then((j: FetalGrid | null) => live && setFetal(j?.cells?.length ? j : null))
      .catch(() => live && setFetal(null));
    return () => {
      live = false;
    };
  }, [baseUrl]);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    // one grey curve per reference scan: its base at 0 slices, then each run's adapter
    const bySeries = new Map<string, Measured[]>();
    for (const r of measured) {
      const key = `${r.site} · ${r.image.split("/").pop()}`;
      bySeries.set(key, [...(bySeries.get(key) ?? []), r]);
    }
    const lines = [...bySeries].flatMap(([series, runs]) => {
      const sorted = [...runs].sort((a, b) => a.slices.length - b.slices.length);
      const points = [{ x: 0, y: sorted[0].heldOut.base }, ...sorted.map((r) => ({ x: r.slices.length, y: r.heldOut.adapter }))];
      return points.filter((p) => p.y !== null).map((p) => ({ series, ...p }));
    });
    // the fetal grid: one line per number of training cases, base at 0, sd as a bar
    const grid = (fetal?.cells ?? []).map((c) => ({ x: c.cases * c.slicesPerCase, y: c.mean, sd: c.sd ?? 0, series: `fetal_sb, ${c.cases} case${c.cases > 1 ? "s" : ""}` }));
    const gridLines = [...new Set(grid.map((g) => g.series))].flatMap((series) => [
      ...(fetal?.base != null ? [{ x: 0, y: fetal.base, sd: 0, series }] : []),
      ...grid.filter((g) => g.series === series).sort((a, b) => a.x - b.x),
    ]);
    const own = [
      ...(base !== null ? [{ x: 0, y: base, label: "your site: base" }] : []),
      ...(adapter !== null ? [{ x: slices, y: adapter, label: "your site: adapter" }] : []),
    ];
    const svg = Plot.plot({
      width: Math.max(260, el.clientWidth),
      height: 200,
      marginLeft: 40,
      style: { background: "transparent", color: "#cbd5e1", fontSize: "10px" },
      x: { label: "labelled slices", grid: true },
      y: { label: "held-out Dice", grid: true },
      marks: [
        Plot.line(lines, { x: "x", y: "y", z: "series", stroke: "#475569", strokeWidth: 1, title: "series" }),
        Plot.line(gridLines, { x: "x", y: "y", z: "series", stroke: "#38bdf8", strokeOpacity: 0.7, strokeWidth: 1, title: "series" }),
        Plot.ruleX(grid, { x: "x", y1: (d: { y: number; sd: number }) => d.y - d.sd, y2: (d: { y: number; sd: number }) => d.y + d.sd, stroke: "#38bdf8", strokeOpacity: 0.5 }),
        Plot.line(own, { x: "x", y: "y", stroke: "#e879f9", strokeWidth: 2 }),
        Plot.dot(own, { x: "x", y: "y", fill: "#e879f9", r: 4, title: "label" }),
        Plot.text(own.slice(-1), { x: "x", y: "y", text: () => "your site", dy: -10, fill: "#f5d0fe" }),
      ],
    });
    el.replaceChildren(svg);
  }, [measured, fetal, slices, base, adapter]);

  return (
    <figure className="space-y-1">
      <div ref={box} aria-label="Data efficiency chart" className="w-full" />
      <figcaption className="text-[11px] text-slate-500">
        Your site (magenta) against the reference sites the model card measured (grey: held-out slices of the same scan){fetal ? " and the fetal site (blue: cases the adapter never saw, one line per number of labelled cases, ± sd over seeds)" : ""}, by labelled slices in all.
      </figcaption>
    </figure>
  );
}
