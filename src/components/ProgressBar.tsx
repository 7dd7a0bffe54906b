/** A determinate progress bar (indeterminate while max is 0) with a caption. */
export function ProgressBar({ label, value, max, text, active }: { label: string; value: number; max: number; text: string; active: boolean }) {
  const pct = max > 0 ? Math.min(100, (value / max) * 100) : 0;
  return (
    <div className="space-y-1">
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={max}
        aria-valuenow={value}
        aria-valuetext={text}
        className="h-2 overflow-hidden rounded-full bg-slate-800"
      >
        <div
          className={`h-full rounded-full transition-[width] duration-200 ${active ? "bg-sky-500" : "bg-slate-500"} ${active && max === 0 ? "w-1/3 animate-pulse" : ""}`}
          style={max > 0 ? { width: `${pct}%` } : undefined}
        />
      </div>
      <p className="text-xs tabular-nums text-slate-400">{text}</p>
    </div>
  );
}
