import { useEffect, useRef, useState } from "react";
import { sampleTitle } from "../../core/samples";
import { useApp } from "../../stores/store";

/** "Open sample": the built-in sample sites, each a scan with its reference label and adapter. */
export function SampleMenu() {
  const samples = useApp((s) => s.samples);
  const loading = useApp((s) => s.sampleLoading);
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const close = (e: Event) => {
      if (e instanceof KeyboardEvent ? e.key === "Escape" : !root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", close);
    document.addEventListener("keydown", close);
    return () => {
      document.removeEventListener("mousedown", close);
      document.removeEventListener("keydown", close);
    };
  }, [open]);

  return (
    <div ref={root} className="relative">
      <button
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        disabled={samples.length === 0}
        onClick={() => setOpen(!open)}
        className="rounded-md border border-slate-700 bg-slate-800 px-3 py-1.5 text-sm font-medium text-slate-100 shadow-sm hover:bg-slate-700 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 disabled:opacity-50"
      >
        {loading ? "Opening sample…" : "Open sample"}
      </button>
      {open && (
        <ul role="menu" aria-label="Sample sites" className="absolute left-0 top-full z-30 mt-1 w-[26rem] overflow-hidden rounded-lg border border-slate-700 bg-slate-900 shadow-xl">
          {samples.map((s) => (
            <li key={s.id} role="none">
              <button
                type="button"
                role="menuitem"
                onClick={() => {
                  setOpen(false);
                  void useApp.getState().openSample(s.id);
                }}
                className="block w-full border-b border-slate-800 px-3 py-2 text-left last:border-b-0 hover:bg-slate-800 focus-visible:bg-slate-800 focus-visible:outline-none"
              >
                <span className="flex items-center gap-2 text-sm font-medium text-slate-100">
                  {sampleTitle(s)}
                  {s.synthetic && <span className="rounded bg-violet-500/20 px-1.5 text-[10px] font-semibold uppercase tracking-wide text-violet-300">synthetic</span>}
                </span>
                <span className="mt-0.5 block text-xs text-slate-400">{s.description}</span>
                <span className="mt-0.5 block text-[11px] text-slate-500">
                  Reference label and adapter “{s.adapter}” included · {s.source}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
