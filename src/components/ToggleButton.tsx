import type { ReactNode } from "react";

const TONES = { sky: "bg-sky-600", fuchsia: "bg-fuchsia-600", amber: "bg-amber-600" } as const;

/** One button of a segmented control (a bordered group of them): pressed shows in the group's tone; `label` names it when its text is short. */
export function ToggleButton({ pressed, onClick, tone = "sky", title, label, disabled, children }: { pressed: boolean; onClick: () => void; tone?: keyof typeof TONES; title?: string; label?: string; disabled?: boolean; children: ReactNode }) {
  return (
    <button
      type="button"
      aria-pressed={pressed}
      aria-label={label}
      disabled={disabled}
      title={title}
      onClick={onClick}
      className={`border-r border-slate-700 px-2.5 py-1 text-xs font-medium last:border-r-0 disabled:opacity-40 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-inset focus-visible:ring-sky-400 ${
        pressed ? `${TONES[tone]} text-white` : "bg-slate-800 text-slate-300 hover:bg-slate-700"
      }`}
    >
      {children}
    </button>
  );
}
