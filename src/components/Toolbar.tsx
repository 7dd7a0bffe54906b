import type { ReactNode } from "react";

/**
 * A bar of controls over or under the viewer: one row that never wraps (a wrap would resize the
 * view, and a hidden row would hide controls); what is long shortens instead (ShortLabel, `truncate`).
 */
export function Toolbar({ label, className = "", children }: { label: string; className?: string; children: ReactNode }) {
  return (
    <div role="toolbar" aria-label={label} className={`flex shrink-0 flex-nowrap items-center gap-x-3 overflow-hidden whitespace-nowrap border-slate-800 px-3 text-xs text-slate-300 @wide:gap-x-4 ${className}`}>
      {children}
    </div>
  );
}

/**
 * A label that shortens while the viewer is narrow (below the `@wide` container width, index.css):
 * `short` then, `long` from there on. Give its control `aria-label={long}`, so that the control's
 * name stays the same at every width.
 */
export function ShortLabel({ short, long }: { short: ReactNode; long: ReactNode }) {
  return (
    <>
      <span aria-hidden="true" className="@wide:hidden">
        {short}
      </span>
      <span aria-hidden="true" className="hidden @wide:inline">
        {long}
      </span>
    </>
  );
}
