import type { ReactNode } from "react";

/** An error or warning the user should act on; announced by screen readers. */
export function Alert({ title, children, onDismiss, tone = "error" }: { title?: string; children: ReactNode; onDismiss?: () => void; tone?: "error" | "warning" }) {
  const colours = tone === "error" ? "border-red-500/50 bg-red-950/60 text-red-100" : "border-amber-500/50 bg-amber-950/60 text-amber-100";
  return (
    <div role="alert" className={`flex items-start gap-3 rounded-md border px-3 py-2 text-sm ${colours}`}>
      <div className="min-w-0 flex-1 break-words">
        {title && <p className="font-semibold">{title}</p>}
        <div className="leading-snug">{children}</div>
      </div>
      {onDismiss && (
        <button type="button" onClick={onDismiss} className="shrink-0 rounded px-1.5 text-lg leading-none opacity-70 hover:bg-white/10 hover:opacity-100" aria-label="Dismiss message">
          ×
        </button>
      )}
    </div>
  );
}
