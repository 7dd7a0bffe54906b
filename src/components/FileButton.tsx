import { useId, type ChangeEvent } from "react";

/**
 * A file input styled as a button; its label names it for assistive tech and tests. `multiple`
 * lets several files be chosen, `directory` a folder (every file in it, with its path); both hand
 * the files to `onFiles`.
 */
export function FileButton({
  label,
  accept,
  onFile,
  onFiles,
  multiple = false,
  directory = false,
  primary = false,
  disabled = false,
  title,
}: {
  label: string;
  accept?: string;
  onFile?: (file: File) => void;
  onFiles?: (files: File[]) => void;
  multiple?: boolean;
  directory?: boolean;
  primary?: boolean;
  disabled?: boolean;
  title?: string;
}) {
  const id = useId();
  const onChange = (e: ChangeEvent<HTMLInputElement>) => {
    const files = Array.from(e.target.files ?? []);
    e.target.value = ""; // the same file may be chosen again
    if (files.length === 0) return;
    if (onFiles) onFiles(files);
    else onFile?.(files[0]);
  };
  return (
    <span className="inline-flex">
      <input
        id={id}
        type="file"
        accept={accept}
        multiple={multiple || directory}
        onChange={onChange}
        disabled={disabled}
        className="peer sr-only"
        {...(directory ? { webkitdirectory: "" } : {})}
      />
      <label
        htmlFor={id}
        title={title}
        className={`cursor-pointer select-none rounded-md peer-disabled:cursor-not-allowed peer-disabled:opacity-50 px-3 py-1.5 text-sm font-medium shadow-sm ring-offset-slate-950 peer-focus-visible:ring-2 peer-focus-visible:ring-sky-400 peer-focus-visible:ring-offset-2 ${
          primary ? "bg-sky-600 text-white hover:bg-sky-500" : "border border-slate-700 bg-slate-800 text-slate-100 hover:bg-slate-700"
        }`}
      >
        {label}
      </label>
    </span>
  );
}
