import { useEffect } from "react";
import { useApp } from "../../stores/store";

const SHOWN = 3;

/**
 * The last study's results as kept in this browser: restored once the model is known (after a
 * reload), said when and on which files they were computed, with a way to delete them.
 */
export function SavedStudyNote() {
  const saved = useApp((s) => s.studySaved);
  const running = useApp((s) => s.studyJob.status === "running");
  const manifest = useApp((s) => s.manifest);
  const { restoreSavedStudy, clearSavedStudy } = useApp.getState();
  useEffect(() => {
    if (manifest) void restoreSavedStudy();
  }, [manifest, restoreSavedStudy]);
  if (!saved || running) return null;
  const when = new Date(saved.savedAt).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  const names = saved.images.map((p) => p.split("/").slice(-2).join("/"));
  const n = saved.images.length;
  const scored = n < saved.totalCases ? `${n} of ${saved.totalCases} cases, ${saved.status === "error" ? "stopped" : "cancelled"}` : `${n} case${n === 1 ? "" : "s"}`;
  return (
    <div role="note" aria-label="Saved study results" className="flex flex-wrap items-center gap-x-3 gap-y-1 rounded-md border border-slate-800 bg-slate-900/70 px-3 py-2 text-xs text-slate-300">
      <p className="min-w-0 flex-1" title={saved.images.join("\n")}>
        {saved.restored ? "Restored from this browser: results" : "Kept in this browser: the results"} computed {when} with {saved.model} on {scored} ({names.slice(0, SHOWN).join(", ")}
        {names.length > SHOWN ? `, … ${names.length - SHOWN} more` : ""}). Only scores and file names are kept, never images.
      </p>
      <button type="button" onClick={() => void clearSavedStudy()} className="text-slate-400 underline-offset-2 hover:text-slate-200 hover:underline">
        Clear saved results
      </button>
    </div>
  );
}
