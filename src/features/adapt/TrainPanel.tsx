import { stripVolumeExtension } from "../../core/io/formats";
import { useState } from "react";
import { Alert } from "../../components/Alert";
import { Button } from "../../components/Button";
import { downloadAdapter } from "../../components/download";
import { Panel } from "../../components/Panel";
import { ProgressBar } from "../../components/ProgressBar";
import { throughPlaneAxis } from "../../core/adapt/data";
import { TRAIN_DEFAULTS } from "../../core/adapt/train";
import { formatDice, formatGain } from "../../core/study";
import { useApp } from "../../stores/store";
import { workerBusy } from "../../stores/workerSlice";
import { EfficiencyChart } from "./EfficiencyChart";

const input = "w-full rounded border border-slate-700 bg-slate-800 px-1.5 py-0.5 text-xs tabular-nums text-slate-100 focus:border-sky-500 focus:outline-none";

/** Train this site's adapter from the loaded reference, in the worker; save its two files. */
export function TrainPanel() {
  const scan = useApp((s) => s.scan);
  const reference = useApp((s) => s.reference);
  // a reference numbered in a convention this model does not offer (Evaluation says so) teaches it nothing right
  const unfit = useApp((s) => s.conventionUnfit !== null);
  const trainable = useApp((s) => Boolean(s.manifest?.files.trainStep));
  const modelReady = useApp((s) => s.modelStatus === "ready");
  const busy = useApp(workerBusy);
  const training = useApp((s) => s.training);
  const { trainAdapter, cancelTraining } = useApp.getState();
  const [nSlices, setNSlices] = useState(10);
  const [sliceList, setSliceList] = useState("");
  const [rank, setRank] = useState(TRAIN_DEFAULTS.rank);
  const [steps, setSteps] = useState(TRAIN_DEFAULTS.steps);
  const [lr, setLr] = useState(TRAIN_DEFAULTS.lr);
  const [site, setSite] = useState("");
  const [source, setSource] = useState<"reference" | "corrected">("reference");
  const corrected = useApp((s) => s.result?.corrected);
  const axial = scan ? throughPlaneAxis(scan.volume.affine) : 2;
  const correctedAxial = new Set((corrected ?? []).filter((c) => c.axis === axial).map((c) => c.index)).size;

  if (!scan) return null;
  const running = training.status === "running";
  const siteName = site.trim() || scan.sample?.id || stripVolumeExtension(scan.name);
  const parsed = sliceList.trim() ? sliceList.split(/[\s,]+/).filter(Boolean).map(Number) : undefined;
  const listOk = !parsed || parsed.every((n) => Number.isInteger(n) && n >= 0);
  const fromReference = source === "reference";
  const haveData = fromReference ? !!reference && !unfit : correctedAxial > 0;
  const canTrain = trainable && modelReady && haveData && !busy && listOk && steps >= 1 && rank >= 1 && lr > 0;
  // a run for the Site study (its ticked cases) shows its result there, not here
  const forStudy = training.study;
  const outcome = forStudy === undefined ? training.outcome : null;
  const heldOut = outcome?.heldOut[0];
  const progressText = running ? `Step ${training.step} / ${training.steps}${training.loss !== null ? ` · loss ${training.loss.toFixed(4)}` : ""}` : training.status === "done" ? `${training.steps} steps done` : training.status === "cancelled" ? (training.note ? `Cancelled: ${training.note}` : "Cancelled") : "Not trained yet";

  const field = (label: string, el: React.ReactNode) => (
    <label className="grid grid-cols-[1fr_6rem] items-center gap-2 text-xs text-slate-300">
      <span>{label}</span>
      {el}
    </label>
  );
  return (
    <Panel title="Train site adapter">
      {!trainable && <p className="text-xs text-slate-500">This model ships no training graph, so adapters for it cannot be trained here.</p>}
      <div role="radiogroup" aria-label="Learn from" className="space-y-1 text-xs text-slate-300">
        <label className="flex items-center gap-2">
          <input type="radio" name="train-source" checked={fromReference} onChange={() => setSource("reference")} disabled={running} className="accent-sky-500" />
          Reference label {reference ? <span className="text-slate-500">({reference.name})</span> : <span className="text-slate-500">(open one under Evaluation)</span>}
        </label>
        <label className="flex items-center gap-2">
          <input type="radio" name="train-source" checked={!fromReference} onChange={() => setSource("corrected")} disabled={running} className="accent-sky-500" />
          Corrected slices <span className="text-slate-500">({correctedAxial} axial slice{correctedAxial === 1 ? "" : "s"} corrected with the brush)</span>
        </label>
      </div>
      {trainable && !haveData && (
        <p className="text-xs text-slate-500">
          {fromReference
            ? reference
              ? "The reference is numbered in a convention this model does not offer (see Evaluation): choose one of its conventions there, or open a label made for this model."
              : "Open the reference label of this scan (Evaluation): the adapter learns from a few of its slices and is scored on the others."
            : "Correct a few slices of the mask with the brush in the Axial view: the adapter learns from them."}
        </p>
      )}
      {!fromReference && !reference && haveData && <p className="text-xs text-slate-500">Without a reference label, the new adapter cannot be scored on the slices you did not correct.</p>}
      <div className="space-y-1.5">
        {field("Site name", <input aria-label="Site name" className={input} placeholder={siteName} value={site} onChange={(e) => setSite(e.target.value)} disabled={running} />)}
        {field("Labelled slices", <input aria-label="Number of slices" type="number" min={1} max={40} className={input} value={nSlices} onChange={(e) => setNSlices(e.target.valueAsNumber)} disabled={running || !!parsed || !fromReference} />)}
        {field("or slice numbers", <input aria-label="Slice numbers" className={input} placeholder="auto" value={sliceList} onChange={(e) => setSliceList(e.target.value)} disabled={running || !fromReference} />)}
        {field("Rank", <input aria-label="Rank" type="number" min={1} max={8} className={input} value={rank} onChange={(e) => setRank(e.target.valueAsNumber)} disabled={running} />)}
        {field("Steps", <input aria-label="Steps" type="number" min={1} max={5000} className={input} value={steps} onChange={(e) => setSteps(e.target.valueAsNumber)} disabled={running} />)}
        {field("Learning rate", <input aria-label="Learning rate" type="number" step={0.0005} min={0} className={input} value={lr} onChange={(e) => setLr(e.target.valueAsNumber)} disabled={running} />)}
      </div>
      {!listOk && <p className="text-xs text-red-300">Slice numbers are whole numbers separated by commas.</p>}
      <div className="flex gap-2">
        <Button variant="primary" className="flex-1" disabled={!canTrain} onClick={() => void trainAdapter({ source, slices: parsed, nSlices, options: { rank, steps, lr }, site: siteName })}>
          Train adapter
        </Button>
        <Button variant="danger" disabled={!running} onClick={() => cancelTraining()} aria-label="Cancel training">
          Cancel
        </Button>
      </div>
      <ProgressBar label="Training progress" value={training.step} max={training.steps} text={progressText} tone={running ? "active" : training.status === "done" ? "done" : "idle"} />
      {running && forStudy === undefined && training.step === training.steps && <p className="text-xs text-slate-400">Scoring base and adapter on the held-out slices…</p>}
      {forStudy !== undefined && (
        <p className="text-xs text-slate-400">
          {running ? "The worker is training" : "The last run trained"} the adapter of {forStudy} from cases of the Site study; its result is shown there.
        </p>
      )}
      {forStudy === undefined && training.status === "error" && training.error && (
        <Alert title="Training failed">
          <p>{training.error}</p>
          <p className="mt-1 text-red-200/80">The scan, masks and adapters are unchanged; adjust the settings and train again.</p>
        </Alert>
      )}
      {outcome && (
        <div role="group" aria-label="Training result" className="space-y-2 rounded-md border border-slate-800 bg-slate-950/50 p-2.5 text-xs">
          <p className="text-slate-300">
            Adapter <span className="font-medium text-slate-100">{outcome.name}</span> (selected above), trained on slices {outcome.holdout.indices.join(", ")}{" "}
            <span aria-label="Trained on">on {outcome.runtime}</span>.
          </p>
          {outcome.notice && <p role="note" className="text-amber-200">{outcome.notice}</p>}
          {outcome.losses.length > 0 && (
            <p className="tabular-nums text-slate-400">
              Loss <span aria-label="Training loss">{outcome.losses[0].toFixed(4)} → {outcome.losses.at(-1)!.toFixed(4)}</span> over {outcome.losses.length} steps.
            </p>
          )}
          {heldOut ? (
          <p role="note" aria-label="Held-out Dice" className="tabular-nums text-slate-300">
            Held-out mean Dice ({heldOut.slices} slices more than {outcome.holdout.gap} away): base <span className="text-slate-100">{formatDice(heldOut.base)}</span> → adapter{" "}
            <span className="text-slate-100">{formatDice(heldOut.adapter)}</span>{" "}
            <span className={heldOut.adapter !== null && heldOut.base !== null && heldOut.adapter > heldOut.base ? "text-emerald-300" : "text-red-300"}>
              ({formatGain(heldOut.base !== null && heldOut.adapter !== null ? heldOut.adapter - heldOut.base : null)})
            </span>
          </p>
          ) : (
            <p className="text-slate-400">Not scored: there is no reference label for the slices that were not corrected.</p>
          )}
          {heldOut && <EfficiencyChart slices={outcome.holdout.indices.length} base={heldOut.base} adapter={heldOut.adapter} />}
          <Button
            onClick={() => downloadAdapter(outcome.files)}
          >
            Save adapter
          </Button>
        </div>
      )}
    </Panel>
  );
}
