import { useState, type KeyboardEvent, type MouseEvent } from "react";

const fmt = (v: number | null | undefined) => (v === null || v === undefined ? "no foreground" : v.toFixed(3));

/** A second curve, drawn with the first as lines (e.g. base and adapter). */
export interface ChartSeries {
  name: string;
  values: (number | null)[];
  /** CSS colour of its line and legend swatch. */
  color: string;
}

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
 * series instead (the first is `values`). Clicking anywhere over a slice's column selects it;
 * arrow keys move the selection.
 */
export function SliceChart({ label, values, selected, onSelect, caption, series }: { label: string; values: (number | null)[]; selected: number | null; onSelect: (index: number) => void; caption: string; series?: ChartSeries[] }) {
  const [hover, setHover] = useState<number | null>(null);
  const lines = series && series.length > 1 ? series : null;
  const n = values.length;
  const indexAt = (e: MouseEvent<SVGSVGElement>) => {
    // The column under the pointer names its slice; between columns, work it out from x.
    const col = (e.target as Element).closest?.("[data-col]")?.getAttribute("data-col");
    if (col != null) return Number(col);
    const box = e.currentTarget.getBoundingClientRect();
    return Math.min(n - 1, Math.max(0, Math.floor(((e.clientX - box.left) / box.width) * n)));
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
      <div className="relative rounded border border-slate-800 bg-slate-950/60 px-1 pt-1">
        <svg
          viewBox={`0 0 ${Math.max(n, 1)} 100`}
          preserveAspectRatio="none"
          className="block h-28 w-full cursor-crosshair"
          onClick={(e) => n && onSelect(indexAt(e))}
          onMouseMove={(e) => n && setHover(indexAt(e))}
          onMouseLeave={() => setHover(null)}
        >
          {[25, 50, 75].map((y) => (
            <line key={y} x1={0} x2={n} y1={y} y2={y} stroke="rgb(51 65 85)" strokeWidth={1} strokeDasharray="2 3" vectorEffect="non-scaling-stroke" />
          ))}
          {selected !== null && selected < n && <rect x={selected} y={0} width={1} height={100} fill="rgb(251 191 36 / 0.18)" />}
          {lines?.map((l) => <path key={l.name} data-series={l.name} d={curvePath(l.values)} fill="none" stroke={l.color} strokeWidth={1.5} vectorEffect="non-scaling-stroke" />)}
          {values.map((v, i) => (
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
          ))}
        </svg>
        <div className="flex justify-between px-0.5 pb-0.5 text-[10px] tabular-nums text-slate-500">
          <span>0</span>
          <span>slice</span>
          <span>{Math.max(n - 1, 0)}</span>
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
          </>
        ) : (
          <>Mean over {valid.length} slices with a finding: {fmt(mean)} · click a bar to go to that slice</>
        )}
      </p>
    </div>
  );
}
