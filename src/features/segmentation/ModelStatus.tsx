import { Alert } from "../../components/Alert";
import { useApp } from "../../stores/store";
import { modelLine } from "./segmentationStatus";

/** Whether the model is ready, the backend in use (and why not the one chosen), and why a model failed to load. */
export function ModelStatus() {
  const modelStatus = useApp((s) => s.modelStatus);
  const modelError = useApp((s) => s.modelError);
  const backend = useApp((s) => s.backend);
  const backendNotice = useApp((s) => s.backendNotice);
  const backendPreference = useApp((s) => s.backendPreference);
  const manifest = useApp((s) => s.manifest);
  const modelCount = useApp((s) => s.models.length);
  const line = modelLine({ modelStatus, manifest, modelCount });
  return (
    <>
      <div className="space-y-0.5 text-xs">
        <p className={`flex items-center gap-1.5 ${modelStatus === "error" ? "text-red-300" : modelStatus === "ready" ? "text-emerald-300" : "text-slate-400"}`}>
          <span
            aria-hidden="true"
            className={`inline-block h-2 w-2 shrink-0 rounded-full ${
              modelStatus === "ready" ? "bg-emerald-400" : modelStatus === "error" ? "bg-red-400" : "animate-pulse bg-amber-400"
            }`}
          />
          <span className="truncate" title={line}>
            {line}
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
    </>
  );
}
