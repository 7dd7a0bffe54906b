import { useId } from "react";
import { useModalDialog } from "../../components/useModalDialog";
import { orientationLabel } from "../../core/dicom";
import { useApp } from "../../stores/store";

const mm = (v: number) => (Math.abs(v - Math.round(v)) < 0.005 ? String(Math.round(v)) : v.toFixed(2));

/**
 * Several DICOM series in one drop: a modal list of them (description, number of images,
 * orientation, matrix and pixel size) to pick the one to open. Esc or Cancel keeps the current scan.
 */
export function SeriesPicker() {
  const choice = useApp((s) => s.dicomChoice);
  const dialog = useModalDialog(choice !== null);
  const titleId = useId();

  const choose = (key: string | null) => void useApp.getState().chooseDicomSeries(key);

  return (
    <dialog
      ref={dialog}
      aria-labelledby={titleId}
      onClose={() => useApp.getState().dicomChoice && choose(null)}
      className="m-auto w-[min(46rem,calc(100vw-2rem))] rounded-xl border border-slate-700 bg-slate-900 p-0 text-slate-200 shadow-2xl backdrop:bg-slate-950/70"
    >
      {choice && (
        <div className="p-5">
          <header className="mb-3">
            <h2 id={titleId} className="text-base font-semibold text-white">
              Choose a DICOM series
            </h2>
            <p className="mt-1 text-sm text-slate-400">
              {choice.series.length} series were found{choice.skipped > 0 ? ` (${choice.skipped} other ${choice.skipped === 1 ? "file was" : "files were"} left aside)` : ""}. The one you open becomes the scan.
            </p>
          </header>
          <ul aria-label="DICOM series" className="max-h-[60vh] overflow-y-auto rounded-lg border border-slate-800">
            {choice.series.map((s) => (
              <li key={s.key} className="border-b border-slate-800 last:border-b-0">
                <button
                  type="button"
                  onClick={() => choose(s.key)}
                  className="grid w-full grid-cols-[3rem_minmax(0,1fr)_auto] items-baseline gap-x-3 px-3 py-2.5 text-left hover:bg-slate-800 focus-visible:bg-slate-800 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-inset focus-visible:ring-sky-400"
                >
                  <span className="text-xs tabular-nums text-slate-500">{s.number !== null ? `#${s.number}` : ""}</span>
                  <span className="min-w-0">
                    <span className="block truncate text-sm font-medium text-slate-100" title={s.description}>
                      {s.description}
                    </span>
                    <span className="mt-0.5 block text-xs text-slate-400">
                      {orientationLabel(s.orientation)}
                      {s.modality && ` · ${s.modality}`} · {s.columns} × {s.rows} px
                      {s.pixelSpacing && ` · ${mm(s.pixelSpacing[1])} × ${mm(s.pixelSpacing[0])} mm`}
                    </span>
                  </span>
                  <span className="text-sm tabular-nums text-slate-300">
                    {s.images} {s.images === 1 ? "image" : "images"}
                  </span>
                </button>
              </li>
            ))}
          </ul>
          <footer className="mt-4 flex justify-end">
            <button
              type="button"
              onClick={() => choose(null)}
              className="rounded-md border border-slate-700 bg-slate-800 px-3 py-1.5 text-sm font-medium text-slate-200 hover:bg-slate-700 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-sky-400"
            >
              Cancel
            </button>
          </footer>
        </div>
      )}
    </dialog>
  );
}
