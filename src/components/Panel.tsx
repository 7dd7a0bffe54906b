import { useId, type ReactNode } from "react";

/** A titled sidebar block. */
export function Panel({ title, aside, children }: { title: string; aside?: ReactNode; children: ReactNode }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className="rounded-lg border border-slate-800 bg-slate-900/70 p-4 shadow-sm">
      <header className="mb-3 flex items-center justify-between gap-2">
        <h2 id={id} className="text-xs font-semibold uppercase tracking-wider text-slate-400">
          {title}
        </h2>
        {aside}
      </header>
      <div className="space-y-3 text-sm">{children}</div>
    </section>
  );
}
