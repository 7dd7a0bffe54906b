import { useState, type KeyboardEvent, type MouseEvent } from "react";
import { tissueRange } from "./sliceRange";

const fmt = (v: number | null | undefined) => (v === null || v === undefined ? "no foreground" : v.toFixed(3));

/** A second curve, drawn with the first as lines (e.g. base and adapter). */
export interface ChartSeries {
  name: string;
  values: (number | null)[];
  /** CSS colour of its line and legend swatch. */
  color: string;
}

/** Each class's value in every slice (`values[s][c]`), for the readout of the slice pointed at. */
export interface ChartBreakdown {
  names: string[];
  values: (number | null)[][];
}

/** Slices shown either side of the tissue (see tissueRange). */
const MARGIN = 3;
const Y_TICKS = [1, 0.75, 0.5, 0.25, 0];

/** SVG path through a curve's points, broken where a slice has no value. */
function curvePath(values: (number | null)[]): string {
  let d = "";
  let pen = false;
  values.forEach((v, i) => {
    if (v === null) return void (pen = false);
    d += `${pen ? "L" : "M"}${i + 0.5} ${100 - v * 100}`;
    pen = true;
  });
  return d;
}

/**
 * One bar per slice, height = value (0..1); null slices stay empty. With `series`, one line per
 * series instead (the first is `values`). Only the slices with a value (and a small margin) are
 * drawn, on a Dice axis of 0 to 1. Pointing at a slice reads out its values (each class's, with
 * `breakdown`); clicking anywhere over a slice's column selects it; arrow keys move the selection.
 */
export function SliceChart({ label, values, selected, onSelect, caption, series, breakdown }: { label: string; values: (number | null)[]; selected: number | null; onSelect: (index: number) => void; caption: string; series?: ChartSeries[]; breakdown?: ChartBreakdown }) {
  const [hover, setHover] = useState<number | null>(null);
  const lines = series && series.length > 1 ? series : null;
  const n = values.length;
  const { lo, hi } = tissueRange(lines ? lines.map((l) => l.values) : [values], MARGIN);
  const span = Math.max(hi - lo + 1, 1);
  const indexAt = (e: MouseEvent<SVGSVGElement>) => {
    // The column under the pointer names its slice; between columns, work it out from x.
    const col = (e.target as Element).closest?.("[data-col]")?.getAttribute("data-col");
    if (col != null) return Number(col);
    const box = e.currentTarget.getBoundingClientRect();
    return Math.min(hi, Math.max(lo, lo + Math.floor(((e.clientX - box.left) / box.width) * span)));
  };
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const from = selected ?? Math.floor(n / 2);
    const delta = e.key === "ArrowLeft" ? -1 : e.key === "ArrowRight" ? 1 : e.key === "PageDown" ? -10 : e.key === "PageUp" ? 10 : 0;
    if (!delta || n === 0) return;
    e.preventDefault();
    onSelect(Math.min(n - 1, Math.max(0, from + delta)));
  };
  const shown = hover ?? selected;
  const valid = values.filter((v): v is number => v !== null);
  const mean = valid.length ? valid.reduce((a, b) => a + b, 0) / valid.length : null;

  return (
    <div role="group" aria-label={label} tabIndex={0} onKeyDown={onKey} className="space-y-1 rounded-md focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-sky-400">
      <div className="flex items-baseline justify-between text-xs">
        <span className="font-medium text-slate-300">{label}</span>
        <span className="text-slate-500">{caption}</span>
      </div>
      <div className="relative rounded border border-slate-800 bg-slate-950/60 pb-0.5 pl-8 pr-1 pt-1.5">
        {/* the Dice axis: labels beside the svg, which is stretched and would stretch text */}
        <div aria-hidden="true" className="absolute left-0 top-1.5 h-28 w-7 text-right text-[10px] tabular-nums leading-none text-slate-500">
          {Y_TICKS.map((t) => (
            <span key={t} className="absolute right-1 -translate-y-1/2" style={{ top: `${(1 - t) * 100}%` }}>
              {t === 0 || t === 1 ? t : t.toFixed(2)}
            </span>
          ))}
        </div>
        <svg
          viewBox={`${lo} 0 ${span} 100`}
          preserveAspectRatio="none"
          className="block h-28 w-full cursor-crosshair"
          onClick={(e) => n && onSelect(indexAt(e))}
          onMouseMove={(e) => n && setHover(indexAt(e))}
          onMouseLeave={() => setHover(null)}
        >
          {Y_TICKS.map((t) => (
            <line key={t} x1={lo} x2={hi + 1} y1={100 - t * 100} y2={100 - t * 100} stroke="rgb(51 65 85)" strokeWidth={1} strokeDasharray="2 3" vectorEffect="non-scaling-stroke" />
          ))}
          {hover !== null && hover !== selected && <rect x={hover} y={0} width={1} height={100} fill="rgb(125 211 252 / 0.12)" />}
          {selected !== null && selected < n && <rect x={selected} y={0} width={1} height={100} fill="rgb(251 191 36 / 0.18)" />}
          {lines?.map((l) => <path key={l.name} data-series={l.name} d={curvePath(l.values)} fill="none" stroke={l.color} strokeWidth={1.5} vectorEffect="non-scaling-stroke" />)}
          {values.slice(lo, hi + 1).map((v, k) => {
            const i = lo + k;
            return (
              <g key={i}>
                {/* the whole column is the click target, so thin or empty slices can be picked too */}
                <rect data-col={i} x={i} y={0} width={1} height={100} fill="transparent" />
                {v !== null && !lines && (
                  <rect
                    data-slice={i}
                    data-col={i}
                    x={i + 0.1}
                    width={0.8}
                    y={100 - Math.max(v * 100, 2)}
                    height={Math.max(v * 100, 2)}
                    fill={i === selected ? "rgb(251 191 36)" : i === hover ? "rgb(125 211 252)" : "rgb(14 165 233)"}
                  />
                )}
              </g>
            );
          })}
        </svg>
        <div className="flex justify-between px-0.5 text-[10px] tabular-nums text-slate-500">
          <span>{lo}</span>
          <span>{lo > 0 || hi < n - 1 ? `slices with tissue (of 0–${n - 1})` : "slice"}</span>
          <span>{hi}</span>
        </div>
      </div>
      {lines && (
        <ul aria-label="Curves" className="flex flex-wrap gap-x-3 text-[11px] text-slate-400">
          {lines.map((l) => (
            <li key={l.name} className="flex items-center gap-1">
              <span aria-hidden="true" className="inline-block h-0.5 w-3" style={{ background: l.color }} />
              {l.name}
            </li>
          ))}
        </ul>
      )}
      <p className="text-xs tabular-nums text-slate-400">
        {shown !== null && shown < n && lines ? (
          <>
            {shown === selected ? "Selected slice" : "Slice"} <span className="text-slate-200">{shown}</span>:{" "}
            {lines.map((l, k) => (
              <span key={l.name}>
                {k > 0 && " · "}
                {l.name} <span className="text-slate-200">{fmt(l.values[shown])}</span>
              </span>
            ))}
          </>
        ) : shown !== null && shown < n ? (
          <>
            {shown === selected ? "Selected slice" : "Slice"} <span className="text-slate-200">{shown}</span>: Dice <span className="text-slate-200">{fmt(values[shown])}</span>
            {breakdown?.values[shown] && values[shown] !== null && (
              <>
                {" ("}
                {breakdown.names.map((name, c) => (
                  <span key={name}>
                    {c > 0 && " · "}
                    {name} <span className="text-slate-200">{breakdown.values[shown][c]?.toFixed(3) ?? "absent"}</span>
                  </span>
                ))}
                {")"}
              </>
            )}
          </>
        ) : (
          <>Mean over {valid.length} slices with a finding: {fmt(mean)} · click a bar to go to that slice</>
        )}
      </p>
    </div>
  );
}
