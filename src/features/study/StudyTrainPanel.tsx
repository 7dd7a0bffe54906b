import { useState } from "react";
import { Alert } from "../../components/Alert";
import { Button } from "../../components/Button";
import { downloadAdapter } from "../../components/download";
import { ProgressBar } from "../../components/ProgressBar";
import { TRAIN_DEFAULTS } from "../../core/adapt/train";
import { useApp } from "../../stores/store";

/**
 * Train a site's adapter from the cases ticked "train on" (in the worker, the training job the
 * viewer's Train panel uses too), then the study judges it on the site's other cases.
 */
export function StudyTrainPanel({ busy }: { busy: boolean }) {
  const cases = useApp((s) => s.studyCases);
  const trainOn = useApp((s) => s.studyTrainOn);
  const note = useApp((s) => s.studyTrainNote);
  const training = useApp((s) => s.training);
  const trainable = useApp((s) => Boolean(s.manifest?.files.trainStep));
  const { trainSiteAdapter, cancelTraining } = useApp.getState();
  const [nSlices, setNSlices] = useState(10);
  const [steps, setSteps] = useState(TRAIN_DEFAULTS.steps);
  const ticked = new Map<string, number>();
  for (const c of cases) if (trainOn.includes(c.id)) ticked.set(c.site, (ticked.get(c.site) ?? 0) + 1);
  const sites = [...ticked.keys()].sort();
  const running = training.status === "running";
  const mine = training.study !== undefined; // the last training was the study's (the viewer's shows in its own panel)
  const outcome = mine ? training.outcome : null;
  const input = "w-full rounded border border-slate-700 bg-slate-800 px-1.5 py-0.5 text-xs tabular-nums text-slate-100 focus:border-sky-500 focus:outline-none";
  const progressText = !mine
    ? running
      ? "The viewer's Train panel is training an adapter"
      : "Not trained yet"
    : running
      ? training.step === 0 && training.loss === null
        ? `Reading the cases of ${training.study}…`
        : training.step === training.steps
          ? "Saving the adapter…"
          : `Step ${training.step} / ${training.steps}${training.loss !== null ? ` · loss ${training.loss.toFixed(4)}` : ""}`
      : training.status === "done"
        ? `${training.steps} steps done`
        : training.status === "cancelled"
          ? training.note ? `Cancelled: ${training.note}` : "Cancelled"
          : training.status === "error"
            ? "Training failed"
            : "Not trained yet";
  if (!trainable) return null;
  return (
    <div role="group" aria-label="Train a site adapter" className="space-y-2 border-t border-slate-800 pt-3">
      <h3 className="text-xs font-semibold uppercase tracking-wider text-slate-400">Train a site adapter from its cases</h3>
      {!sites.length && <p className="text-xs text-slate-500">Tick “train on” beside a few cases of a site: its adapter learns from them, and the study then judges it on the site's other cases.</p>}
      <div className="grid grid-cols-2 gap-2">
        <label className="space-y-0.5 text-xs text-slate-300">
          <span>Labelled slices per case</span>
          <input aria-label="Labelled slices per case" type="number" min={1} max={40} className={input} value={nSlices} onChange={(e) => setNSlices(e.target.valueAsNumber)} disabled={running} />
        </label>
        <label className="space-y-0.5 text-xs text-slate-300">
          <span>Steps</span>
          <input aria-label="Training steps" type="number" min={1} max={5000} className={input} value={steps} onChange={(e) => setSteps(e.target.valueAsNumber)} disabled={running} />
        </label>
      </div>
      {sites.map((site) => (
        <Button key={site} variant="primary" className="w-full" disabled={busy || running} onClick={() => void trainSiteAdapter({ site, nSlices, steps })}>
          Train {site} adapter from {ticked.get(site)} case{ticked.get(site) === 1 ? "" : "s"}
        </Button>
      ))}
      {(sites.length > 0 || mine) && (
        <div className="flex items-center gap-2">
          <div className="flex-1">
            <ProgressBar label="Study training progress" value={mine ? training.step : 0} max={mine ? training.steps : 0} text={progressText} tone={mine && running ? "active" : mine && training.status === "done" ? "done" : "idle"} />
          </div>
          <Button variant="danger" size="xs" disabled={!running} onClick={() => cancelTraining()} aria-label="Cancel training">
            Cancel
          </Button>
        </div>
      )}
      {note && (
        <Alert title="Not trained" tone="warning">
          <p>{note}</p>
        </Alert>
      )}
      {mine && training.status === "error" && training.error && (
        <Alert title="Training failed">
          <p>{training.error}</p>
          <p className="mt-1 text-red-200/80">The cases, results and adapters are unchanged.</p>
        </Alert>
      )}
      {outcome && (
        <div role="group" aria-label="Study training result" className="space-y-1.5 rounded-md border border-slate-800 bg-slate-950/50 p-2.5 text-xs text-slate-300">
          <p>
            Adapter <span className="font-medium text-slate-100">{outcome.name}</span>, chosen for {training.study}, learnt on {outcome.runtime} from{" "}
            {outcome.cases.map((c, i) => (
              <span key={c.id}>
                {i > 0 && ", "}
                <span className="text-slate-100">{c.id.split("/").pop()}</span> <span className="text-slate-500">(slices {c.indices.join(", ")})</span>
              </span>
            ))}
            .
          </p>
          {outcome.losses.length > 0 && (
            <p className="tabular-nums text-slate-400">
              Loss {outcome.losses[0].toFixed(4)} → {outcome.losses.at(-1)!.toFixed(4)} over {outcome.losses.length} steps.
            </p>
          )}
          {outcome.notice && <p role="note" className="text-amber-200">{outcome.notice}</p>}
          {outcome.warnings.length > 0 && (
            <ul role="note" aria-label="Training warnings" className="list-disc space-y-0.5 pl-4 text-amber-200">
              {outcome.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
          <Button
            size="xs"
            onClick={() => downloadAdapter(outcome.files)}
          >
            Save adapter
          </Button>
        </div>
      )}
    </div>
  );
}
