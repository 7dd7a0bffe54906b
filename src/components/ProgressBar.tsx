/**
 * A progress bar with its caption inside. No width transition: it animated on every update while
 * the model ran, and under software compositing (no GPU) that took a third of a 2-core machine
 * from the model (BENCHMARKS.md, issue 25). While active with max 0 it is indeterminate: no
 * aria-valuenow, so "now equals max" never reads as finished before the total is known.
 */
export function ProgressBar({ label, value, max, text, tone }: { label: string; value: number; max: number; text: string; tone: "idle" | "active" | "done" }) {
  const active = tone === "active";
  const pct = max > 0 ? Math.min(100, (value / max) * 100) : 0;
  return (
    <div role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={max} aria-valuenow={active && max === 0 ? undefined : value} aria-valuetext={text} className="space-y-1">
      <div className="h-2 overflow-hidden rounded-full bg-slate-800">
        <div
          className={`h-full rounded-full ${active ? "bg-sky-500" : tone === "done" ? "bg-emerald-500" : "bg-slate-600"} ${active && max === 0 ? "w-1/3 animate-pulse" : ""}`}
          style={max > 0 ? { width: `${pct}%` } : undefined}
        />
      </div>
      <p className="text-xs tabular-nums text-slate-400">{text}</p>
    </div>
  );
}
