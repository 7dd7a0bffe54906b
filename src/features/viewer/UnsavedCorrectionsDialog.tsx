import { useId, useState } from "react";
import { useModalDialog } from "../../components/useModalDialog";
import { correctedOf } from "../../stores/editSlice";
import { useApp } from "../../stores/store";
import { saveMask } from "./saveMask";

const button = "rounded-md px-3 py-1.5 text-sm font-medium focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 disabled:cursor-not-allowed disabled:opacity-50";

/**
 * A new scan (a file, a drop, a sample, another volume of a 4D file) would drop corrections made
 * with the brush or eraser that were never saved: this asks first. Save mask saves each corrected
 * mask (as Save mask does) and goes on; Discard goes on without; Cancel (or Esc) keeps the scan
 * and its corrections.
 */
export function UnsavedCorrectionsDialog() {
  const ask = useApp((s) => s.discardAsk);
  const results = useApp((s) => s.results);
  const scanName = useApp((s) => s.scan?.name);
  const dialog = useModalDialog(ask !== null);
  const titleId = useId();
  const [saving, setSaving] = useState(false);

  const masks = (ask?.keys ?? []).flatMap((k) => (results[k] ? [results[k]] : []));
  const slices = masks.reduce((n, r) => n + correctedOf(r).length, 0);
  const answer = (go: boolean) => useApp.getState().answerDiscard(go);
  const save = async () => {
    setSaving(true);
    try {
      for (const r of masks) await saveMask(r);
      answer(true);
    } finally {
      setSaving(false);
    }
  };

  return (
    <dialog
      ref={dialog}
      aria-labelledby={titleId}
      // Esc closes the dialog: the same as Cancel
      onClose={() => useApp.getState().discardAsk && answer(false)}
      className="m-auto w-[min(32rem,calc(100vw-2rem))] rounded-xl border border-slate-700 bg-slate-900 p-0 text-slate-200 shadow-2xl backdrop:bg-slate-950/70"
    >
      {ask && (
        <div className="p-5">
          <h2 id={titleId} className="text-base font-semibold text-white">
            Save your corrections first?
          </h2>
          <p className="mt-2 text-sm text-slate-300">
            The mask{masks.length > 1 ? "s" : ""} of <span className="font-medium text-slate-100">{scanName}</span> {masks.length > 1 ? "have" : "has"} corrections you have not saved ({slices} slice
            {slices === 1 ? "" : "s"} corrected{masks.length > 1 ? `, in ${masks.map((r) => r.adapter ?? "the base's mask").join(" and ")}` : ""}). If you {ask.action} now, they are lost.
          </p>
          <p className="mt-1 text-xs text-slate-400">Save mask writes each corrected mask (.nii.gz with its .json record), as the Mask panel's Save mask does.</p>
          <footer className="mt-4 flex flex-wrap justify-end gap-2">
            <button type="button" onClick={() => answer(false)} className={`${button} border border-slate-700 bg-slate-800 text-slate-200 hover:bg-slate-700`}>
              Cancel
            </button>
            <button type="button" onClick={() => answer(true)} disabled={saving} className={`${button} border border-red-800/70 bg-red-950/50 text-red-100 hover:bg-red-900/60`}>
              Discard and continue
            </button>
            <button type="button" autoFocus onClick={() => void save()} disabled={saving} className={`${button} bg-sky-600 text-white hover:bg-sky-500`}>
              {saving ? "Saving…" : `Save mask${masks.length > 1 ? "s" : ""} and continue`}
            </button>
          </footer>
        </div>
      )}
    </dialog>
  );
}
