import { Alert } from "../../components/Alert";
import { Button } from "../../components/Button";
import { Field, selectClass } from "../../components/Field";
import { FileButton } from "../../components/FileButton";
import { Panel } from "../../components/Panel";
import { ProgressBar } from "../../components/ProgressBar";
import type { BackendPreference } from "../../runtime/ort-web";
import { waitText } from "../../stores/jobSlice";
import { useApp } from "../../stores/store";
import { AdapterPicker } from "./AdapterPicker";
import { InferenceOptions } from "./InferenceOptions";

const BACKENDS: { value: BackendPreference; label: string }[] = [
  { value: "auto", label: "Auto" },
  { value: "webgpu", label: "WebGPU" },
  { value: "wasm", label: "WASM" },
];

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Files from the file or folder picker, with their paths inside the chosen folder. */
const openModel = (files: File[]) => void useApp.getState().openModelFiles(files.map((file) => ({ path: file.webkitRelativePath || file.name, file })));

/** Model and backend choice, Segment/Cancel, progress and the result's provenance. */
export function SegmentationPanel() {
  const models = useApp((s) => s.models);
  const modelId = useApp((s) => s.modelId);
  const manifest = useApp((s) => s.manifest);
  const modelStatus = useApp((s) => s.modelStatus);
  const modelError = useApp((s) => s.modelError);
  const modelOpenError = useApp((s) => s.modelOpenError);
  const backend = useApp((s) => s.backend);
  const backendNotice = useApp((s) => s.backendNotice);
  const lastWait = useApp((s) => s.lastWait);
  const backendPreference = useApp((s) => s.backendPreference);
  const hasScan = useApp((s) => s.scan !== null);
  const job = useApp((s) => s.job);
  const result = useApp((s) => s.result);
  const hasPreview = useApp((s) => s.preview !== null);
  const adapterName = useApp((s) => s.adapter?.name ?? null);
  const comparing = useApp((s) => s.comparing);
  const { selectModel, setBackendPreference, runSegmentation, runComparison, cancelSegmentation } = useApp.getState();

  const running = job.status === "running";
  const studyRunning = useApp((s) => s.studyJob.status === "running");
  const trainingRunning = useApp((s) => s.training.status === "running");
  // switching model or backend mid-run would cancel it or show a mask the controls no longer describe
  const busy = running || studyRunning || trainingRunning;
  const canRun = useApp((s) => s.canSegment());
  const loadingInput = useApp((s) => s.sampleLoading !== null || s.adapterStatus === "loading");
  const adapting = running && job.phase === "adapting";
  const progressText = adapting ? `${job.step ?? 0} / ${job.steps} training steps` : job.total > 0 ? `${job.done} / ${job.total} slices${(job.passes ?? 1) > 1 ? ` (${job.passes} passes)` : ""}` : running ? "Preparing the scan…" : "No run yet";

  const modelLine =
    modelStatus === "loading"
      ? "Loading model…"
      : modelStatus === "ready" && manifest
        ? `${manifest.name} ${manifest.version} ready`
        : modelStatus === "error"
          ? "Model not loaded"
          : models.length === 0
            ? "Looking for shipped models…"
            : "No model selected";

  let statusText: string;
  const with_ = job.running && job.running !== "base" ? ` with ${job.running}` : " with the base model";
  if (running && job.phase === "adapting") statusText = `Adapting to this scan without labels: training on the model's own mask${hasPreview ? ", shown meanwhile" : ""}…`;
  else if (running && job.phase === "adapted") statusText = "Segmenting again with the model adapted to this scan…";
  else if (running) statusText = job.total > 0 ? `Segmenting${with_}…${hasPreview ? " The mask so far is shown; Dice and volumes follow when it ends." : ""}` : `Starting${with_}…`;
  else if (job.status === "cancelled") statusText = job.note ? `Cancelled: ${job.note}` : "Cancelled";
  else if (job.status === "done" && result)
    // what the user waited: press to mask on screen, with the model's run and the drawing apart
    // (a comparison: both runs, each apart)
    statusText = lastWait?.result === result ? waitText(lastWait) : `Done in ${seconds(result.ms.total)}`;
  else if (job.status === "error") statusText = job.refused ? "Refused" : "Failed";
  else if (!hasScan) statusText = "Open a scan to segment it";
  else if (modelStatus !== "ready") statusText = "Waiting for the model";
  else if (loadingInput) statusText = "Loading the sample or adapter…";
  else if (studyRunning) statusText = "The site study is running: segment when it ends or is cancelled";
  else if (trainingRunning) statusText = "An adapter is training: segment when it ends or is cancelled";
  else statusText = "Ready";

  return (
    <Panel title="Segmentation">
      <Field label="Model">
        {(id) => (
          <select id={id} className={selectClass} value={modelId ?? ""} disabled={models.length === 0 || busy} onChange={(e) => void selectModel(e.target.value)}>
            {models.length === 0 && <option value="">No models found</option>}
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <div className="flex flex-wrap items-center gap-2">
        <FileButton label="Open model…" onFiles={openModel} disabled={busy} directory title="A model folder: manifest.json, model.onnx and optional adapters/" />
        <FileButton label="Model files…" onFiles={openModel} disabled={busy} multiple title="manifest.json and model.onnx (and the other files its manifest names)" />
      </div>
      {modelOpenError && (
        <Alert title="This model cannot be used" onDismiss={() => useApp.getState().dismissModelOpenError()}>
          <p>{modelOpenError}</p>
          <p className="mt-1 text-red-200/80">The model in use stays. Fix the named field or file, or ask the model's maker for a complete folder.</p>
        </Alert>
      )}
      <Field label="Backend">
        {(id) => (
          <select id={id} className={selectClass} value={backendPreference} disabled={busy} onChange={(e) => void setBackendPreference(e.target.value as BackendPreference)}>
            {BACKENDS.map((b) => (
              <option key={b.value} value={b.value}>
                {b.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <AdapterPicker />
      <div className="space-y-0.5 text-xs">
        <p className={`flex items-center gap-1.5 ${modelStatus === "error" ? "text-red-300" : modelStatus === "ready" ? "text-emerald-300" : "text-slate-400"}`}>
          <span
            aria-hidden="true"
            className={`inline-block h-2 w-2 shrink-0 rounded-full ${
              modelStatus === "ready" ? "bg-emerald-400" : modelStatus === "error" ? "bg-red-400" : "animate-pulse bg-amber-400"
            }`}
          />
          <span className="truncate" title={modelLine}>
            {modelLine}
          </span>
        </p>
        <p role="note" aria-label="Backend in use" className="pl-3.5 tabular-nums text-slate-400">
          Backend: <span className="text-slate-200">{backend ?? (modelStatus === "loading" ? "starting…" : "—")}</span>
        </p>
        {backendNotice && (
          <p role="note" aria-label="Backend fallback" className="pl-3.5 text-amber-300/90">
            {backendNotice}
          </p>
        )}
        {backend?.startsWith("wasm") && !globalThis.crossOriginIsolated && (
          <p role="note" aria-label="Single-threaded" className="pl-3.5 text-amber-300/90">
            This page is not cross-origin isolated, so WASM runs on one thread (slower). Serve the app with <code>npm start</code> or a server that sends COOP/COEP headers.
          </p>
        )}
      </div>
      {modelStatus === "error" && modelError && (
        <Alert title="The model could not be loaded">
          <p>{modelError}</p>
          <p className="mt-1 text-red-200/80">
            {backendPreference === "webgpu"
              ? "WebGPU may be unavailable here: choose Backend “WASM” or “Auto”."
              : "Reload the page; if it persists, check that the app's models folder is complete."}
          </p>
        </Alert>
      )}
      <InferenceOptions disabled={busy} />
      <div className="flex gap-2">
        <Button variant="primary" className="flex-1" disabled={!canRun} onClick={() => void runSegmentation()}>
          Segment
        </Button>
        <Button variant="danger" disabled={!running} onClick={() => cancelSegmentation()}>
          Cancel
        </Button>
      </div>
      <Button
        className="w-full"
        disabled={!canRun || !adapterName || comparing !== null}
        title={adapterName ? undefined : "Choose an adapter above to compare it with the base model"}
        onClick={() => void runComparison()}
      >
        {/* "Comparing…" only while its runs go on: once they end (done, cancelled or failed) the button is back to what it does */}
        {comparing ? `Comparing base and ${comparing.adapter}…` : adapterName ? `Compare base and ${adapterName}` : "Compare base and adapter"}
      </Button>
      <ProgressBar label="Segmentation progress" value={adapting ? (job.step ?? 0) : job.done} max={adapting ? (job.steps ?? 0) : job.total} text={progressText} tone={running ? "active" : job.status === "done" ? "done" : "idle"} />
      <p role="status" className={`text-xs font-medium ${job.status === "cancelled" ? "text-amber-300" : job.status === "done" ? "text-emerald-300" : "text-slate-400"}`}>
        {statusText}
      </p>
      {job.status === "error" && job.error && job.refused && (
        <Alert title="This scan cannot be segmented">
          <p>{job.error}</p>
        </Alert>
      )}
      {job.status === "error" && job.error && !job.refused && (
        <Alert title="Segmentation failed">
          <p>{job.error}</p>
          <p className="mt-1 text-red-200/80">
            Press Segment to try again{backend?.startsWith("webgpu") ? ", or choose Backend “WASM”" : ""}. Any earlier mask is kept.
          </p>
        </Alert>
      )}
      {result && (
        <div role="group" aria-label="Segmentation result" data-session-id={result.sessionId}>
        <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 rounded-md border border-slate-800 bg-slate-950/50 p-2.5 text-xs">
          <dt className="text-slate-500">Model</dt>
          <dd className="text-slate-200">
            {result.modelName} {result.modelVersion}
          </dd>
          <dt className="text-slate-500">Adapter</dt>
          <dd className="text-slate-200" aria-label="Result adapter">
            {result.selfAdapted
              ? `adapted to this scan, no labels (${result.selfAdapted.steps} steps on slices ${result.selfAdapted.slices.join(", ")}; ${seconds(result.selfAdapted.ms.training)})`
              : (result.adapter ?? "none (base)")}
          </dd>
          <dt className="text-slate-500">Backend</dt>
          <dd className="text-slate-200">{result.backend}</dd>
          <dt className="text-slate-500">Time</dt>
          <dd className="tabular-nums text-slate-200">
            {seconds(result.ms.total)} ({result.slices} slices; inference {seconds(result.ms.inference)})
          </dd>
          <dt className="text-slate-500">Passes</dt>
          <dd className="text-slate-200" aria-label="Result passes">
            {result.passes === 1 ? "1 (no extra passes)" : `${result.passes}: plain${result.options.map((id) => ` + ${manifest?.inference.options.find((o) => o.id === id)?.label.replace(/^Also /, "").toLowerCase() ?? id}`).join("")}`}
          </dd>
        </dl>
        {result.skipped.map((note) => (
          <p key={note} className="mt-1 text-xs text-slate-400" aria-label="Option skipped">
            {note}
          </p>
        ))}
        {result.warnings.length > 0 && (
          <div className="mt-2">
            <Alert tone="warning" title="Check this mask">
              {result.warnings.map((w) => (
                <p key={w}>{w}</p>
              ))}
            </Alert>
          </div>
        )}
        </div>
      )}
    </Panel>
  );
}
