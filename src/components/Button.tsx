import type { ButtonHTMLAttributes } from "react";

type Variant = "primary" | "secondary" | "danger" | "ghost";

const styles: Record<Variant, string> = {
  primary: "bg-sky-600 text-white hover:bg-sky-500 disabled:bg-slate-700 disabled:text-slate-400",
  secondary: "border border-slate-700 bg-slate-800 text-slate-100 hover:bg-slate-700 disabled:text-slate-500 disabled:hover:bg-slate-800",
  danger: "border border-red-800/70 bg-red-950/50 text-red-100 hover:bg-red-900/60 disabled:border-slate-800 disabled:bg-slate-900 disabled:text-slate-600",
  ghost: "text-slate-300 hover:bg-slate-800 disabled:text-slate-600",
};

/** "xs": the small buttons beside panel content (Save mask, Dice exports, Save view). */
const sizes = { md: "px-3 py-1.5 text-sm", xs: "px-2.5 py-1 text-xs" };

export function Button({ variant = "secondary", size = "md", className = "", ...props }: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; size?: keyof typeof sizes }) {
  return (
    <button
      type="button"
      {...props}
      className={`rounded-md ${sizes[size]} font-medium shadow-sm transition-colors focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 disabled:cursor-not-allowed ${styles[variant]} ${className}`}
    />
  );
}
