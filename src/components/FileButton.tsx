import { useId, type ChangeEvent } from "react";

/** A file input styled as a button; its label names it for assistive tech and tests. */
export function FileButton({ label, accept, onFile, primary = false }: { label: string; accept: string; onFile: (file: File) => void; primary?: boolean }) {
  const id = useId();
  const onChange = (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = ""; // the same file may be chosen again
    if (file) onFile(file);
  };
  return (
    <span className="inline-flex">
      <input id={id} type="file" accept={accept} onChange={onChange} className="peer sr-only" />
      <label
        htmlFor={id}
        className={`cursor-pointer select-none rounded-md px-3 py-1.5 text-sm font-medium shadow-sm ring-offset-slate-950 peer-focus-visible:ring-2 peer-focus-visible:ring-sky-400 peer-focus-visible:ring-offset-2 ${
          primary ? "bg-sky-600 text-white hover:bg-sky-500" : "border border-slate-700 bg-slate-800 text-slate-100 hover:bg-slate-700"
        }`}
      >
        {label}
      </label>
    </span>
  );
}
