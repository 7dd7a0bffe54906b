import { Alert } from "../../components/Alert";
import { Button } from "../../components/Button";
import { download, jsonBlob } from "../../components/download";
import { Field, selectClass } from "../../components/Field";
import { FileButton } from "../../components/FileButton";
import { Panel } from "../../components/Panel";
import { diceReport, diceReportCsv, exportStem } from "../../core/export";
import { LABEL_ACCEPT } from "../../core/io/formats";
import { conventionsOf } from "../../core/metrics/conventions";
import { excludedNote, type Evaluation } from "../../core/metrics/evaluate";
import { voxelVolumeMl } from "../../core/volume/affine";
import { useApp } from "../../stores/store";
import { CompareDiceTable, CompareVolumeHd95Table, DiceTable } from "../../components/DiceTable";
import { resultKey } from "../../stores/jobSlice";
import { PerSliceChart } from "./PerSliceChart";

async function openReferenceFile(file: File) {
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    useApp.getState().openReference(file.name, bytes);
  } catch (e) {
    useApp.setState({ evaluationError: `${file.name}: the browser could not read this file (${e instanceof Error ? e.message : String(e)}).` });
  }
}

/** Saves the shown result's Dice report: "<scan>_siteseg-dice[_adapter].csv" or ".json". */
function exportDice(format: "csv" | "json") {
  const { result, reference, manifest } = useApp.getState();
  // HD95 is computed in the background; if it has not finished, the export computes it now (one click, one long task)
  const evaluation = useApp.getState().evaluationWithHd95();
  if (!result || !reference || !evaluation || !manifest) return;
  const report = diceReport({
    model: { id: result.modelId, version: result.modelVersion },
    adapter: result.adapter,
    image: result.scanName,
    label: reference.name,
    evaluation,
    classNames: manifest.classes.map((c) => c.name),
    voxelMl: voxelVolumeMl(result.labels.affine),
  });
  const name = `${exportStem(result.scanName, "dice", result.adapter)}.${format}`;
  download(name, format === "csv" ? new Blob([diceReportCsv(report)], { type: "text/csv" }) : jsonBlob(report));
}

/** What the numbers rest on: the reference's coverage, labels the convention ignored, an undefined Dice. */
function EvaluationNotes({ evaluation: ev }: { evaluation: Evaluation }) {
  const { voxels, labels } = ev.ignored;
  return (
    <>
      {ev.undefinedReason && (
        <p role="note" className="text-xs text-amber-300">
          {ev.undefinedReason}
        </p>
      )}
      {ev.conventionWarning && (
        <p role="note" className="text-xs text-amber-300">
          {ev.conventionWarning}
        </p>
      )}
      {ev.coverage < 0.999 && (
        <p role="note" className="text-xs text-amber-300">
          The reference covers {(ev.coverage * 100).toFixed(1)}% of the scan; Dice is scored there only.
        </p>
      )}
      {voxels > 0 && (
        <p role="note" className="text-xs text-slate-400">
          {voxels.toLocaleString("en")} reference voxel{voxels === 1 ? "" : "s"} with label{labels.length === 1 ? "" : "s"} {labels.slice(0, 6).join(", ")}
          {labels.length > 6 ? ` and ${labels.length - 6} more` : ""} unknown to the {ev.convention} convention {voxels === 1 ? "counts" : "count"} as background.
        </p>
      )}
      {ev.excluded.voxels > 0 && (
        <p role="note" className="text-xs text-slate-400">
          {excludedNote(ev.excluded)}
        </p>
      )}
    </>
  );
}

/** Reference label, its numbering convention, and Dice against the current mask. */
export function EvaluationPanel() {
  const reference = useApp((s) => s.reference);
  const convention = useApp((s) => s.convention);
  const guessed = useApp((s) => s.conventionGuessed);
  const conventionLabel = useApp((s) => s.conventionLabel);
  const unfit = useApp((s) => s.conventionUnfit);
  const evaluation = useApp((s) => s.evaluation);
  const evaluationError = useApp((s) => s.evaluationError);
  const hasResult = useApp((s) => s.result !== null);
  const manifest = useApp((s) => s.manifest);
  const result = useApp((s) => s.result);
  const compare = useApp((s) => s.compare);
  const sample = useApp((s) => s.scan?.sample);
  const sampleAdapter = useApp((s) => s.samples.find((x) => x.id === s.scan?.sample?.id)?.adapter);
  const evaluations = useApp((s) => s.evaluations);
  const { setConvention, clearReference } = useApp.getState();
  const base = compare ? evaluations[resultKey(null)] : undefined;
  const adapted = compare ? evaluations[resultKey(compare.adapter)] : undefined;

  const voxelMl = result ? voxelVolumeMl(result.labels.affine) : 0;

  return (
    <Panel title="Evaluation">
      <div className="flex flex-wrap items-center gap-2">
        <FileButton label="Open reference label" accept={LABEL_ACCEPT} onFile={(f) => void openReferenceFile(f)} />
        {reference && (
          <button type="button" onClick={clearReference} className="text-xs text-slate-400 underline-offset-2 hover:text-slate-200 hover:underline">
            Remove
          </button>
        )}
      </div>
      {reference && (
        <p className="truncate text-xs text-slate-400" title={reference.name}>
          Reference: <span className="text-slate-200">{reference.name}</span> ({reference.values.length} label values)
        </p>
      )}
      <Field label="Label convention" hint={guessed && reference && !unfit ? <span className="rounded bg-amber-500/15 px-1.5 text-[11px] font-medium text-amber-300">(guessed)</span> : undefined}>
        {(id) => (
          <select id={id} className={selectClass.replace("text-sm", "text-[13px]")} value={convention} onChange={(e) => setConvention(e.target.value)}>
            {/* the reference's own convention, which this model does not offer: shown, not choosable */}
            {unfit && (
              <option value={convention} disabled>
                Not offered by this model: {conventionLabel ?? convention}
              </option>
            )}
            {(manifest ? conventionsOf(manifest) : []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      {reference && unfit && (
        <p role="note" aria-label="Reference not scored" className="rounded-md border border-amber-500/40 bg-amber-500/10 px-2.5 py-2 text-xs text-amber-200">
          {unfit}
        </p>
      )}
      {evaluationError && (
        <Alert title="The reference cannot be compared">
          <p>{evaluationError}</p>
        </Alert>
      )}
      {!reference && !evaluationError && <p className="text-xs text-slate-500">Open the reference label made for this scan to read Dice per class and per slice.</p>}
      {reference && !hasResult && !evaluationError && !unfit && <p className="text-xs text-slate-500">Segment the scan to compare it with this reference.</p>}
      {evaluation && manifest && (
        <>
          {evaluation.resampled && <p className="text-xs text-amber-300">The reference was on another grid and was resampled (nearest neighbour) onto the scan's.</p>}
          <EvaluationNotes evaluation={evaluation} />
          {compare && base && adapted ? (
            <>
              <CompareDiceTable base={base} adapted={adapted} adapter={compare.adapter} classes={manifest.classes} voxelMl={voxelMl} />
              <CompareVolumeHd95Table base={base} adapted={adapted} adapter={compare.adapter} classes={manifest.classes} voxelMl={voxelMl} />
              {sample && sampleAdapter === compare.adapter && (
                <p className="text-xs text-slate-500">Adapter {compare.adapter} was trained on at most 10 slices of this sample scan; the model card gives its held-out figures.</p>
              )}
            </>
          ) : (
            <DiceTable evaluation={evaluation} classes={manifest.classes} voxelMl={voxelMl} />
          )}
          <PerSliceChart />
          <div className="flex flex-wrap gap-2">
            <Button size="xs" onClick={() => exportDice("csv")} title={`Dice per class, volumes, volume error, HD95 and the mean${result?.adapter ? ` of ${result.adapter}` : ""}`}>
              Export Dice CSV
            </Button>
            <Button size="xs" onClick={() => exportDice("json")} title="Also per slice, as siteseg evaluate --json writes it">
              Export Dice JSON
            </Button>
          </div>
        </>
      )}
    </Panel>
  );
}
