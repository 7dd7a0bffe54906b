import { useEffect } from "react";
import { Alert } from "../components/Alert";
import { EvaluationPanel } from "../features/evaluation/EvaluationPanel";
import { DropOverlay } from "../features/scan/DropOverlay";
import { ScanBar, ScanError } from "../features/scan/ScanBar";
import { SegmentationPanel } from "../features/segmentation/SegmentationPanel";
import { MaskPanel } from "../features/viewer/MaskPanel";
import { Viewer } from "../features/viewer/Viewer";
import { useApp } from "../stores/store";
import { ErrorBoundary } from "./ErrorBoundary";

let modelListRequested = false;

/** The page: scan bar on top, the viewer large on the left, panels in a sidebar. */
export function App() {
  useEffect(() => {
    // Once per page (StrictMode runs effects twice in development).
    if (modelListRequested) return;
    modelListRequested = true;
    void useApp.getState().loadModelList();
    void useApp.getState().loadSamples();
  }, []);

  return (
    <div className="flex h-full min-h-0 flex-col">
      <header className="flex flex-wrap items-center gap-x-6 gap-y-2 border-b border-slate-800 bg-slate-900 px-4 py-2.5">
        <div className="flex items-baseline gap-2">
          <h1 className="text-base font-semibold tracking-tight text-white">siteseg</h1>
          <span className="hidden text-xs text-slate-500 sm:inline">brain MRI tissue segmentation · runs entirely in this browser</span>
        </div>
        <ErrorBoundary area="scan bar">
          <ScanBar />
        </ErrorBoundary>
      </header>
      <ScanErrorRow />
      <main className="flex min-h-0 flex-1 flex-col lg:flex-row">
        <section aria-label="Viewer" className="flex min-h-[420px] min-w-0 flex-1 flex-col bg-slate-950">
          <ErrorBoundary area="viewer">
            <Viewer />
          </ErrorBoundary>
        </section>
        <aside aria-label="Controls" className="w-full shrink-0 space-y-3 overflow-y-auto border-t border-slate-800 bg-slate-950 p-3 lg:w-[380px] lg:border-l lg:border-t-0">
          <ErrorBoundary area="segmentation panel">
            <SegmentationPanel />
          </ErrorBoundary>
          <ErrorBoundary area="mask panel">
            <MaskPanel />
          </ErrorBoundary>
          <ErrorBoundary area="evaluation panel">
            <EvaluationPanel />
          </ErrorBoundary>
        </aside>
      </main>
      <DropOverlay />
    </div>
  );
}

function ScanErrorRow() {
  const has = useApp((s) => s.scanError !== null);
  const samplesError = useApp((s) => s.samplesError);
  if (!has && !samplesError) return null;
  return (
    <div className="space-y-2 border-b border-slate-800 bg-slate-950 px-4 py-2">
      <ScanError />
      {samplesError && (
        <Alert title="Sample not available" onDismiss={() => useApp.setState({ samplesError: null })}>
          <p>{samplesError}</p>
          <p className="mt-1 text-red-200/80">Your own scans still open with Open scan; the samples ship in the app's samples folder.</p>
        </Alert>
      )}
    </div>
  );
}
