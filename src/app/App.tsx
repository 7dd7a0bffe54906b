import { useEffect } from "react";
import { Alert } from "../components/Alert";
import { EvaluationPanel } from "../features/evaluation/EvaluationPanel";
import { DropOverlay } from "../features/scan/DropOverlay";
import { ScanBar, ScanError } from "../features/scan/ScanBar";
import { SegmentationPanel } from "../features/segmentation/SegmentationPanel";
import { TrainPanel } from "../features/adapt/TrainPanel";
import { StudyView } from "../features/study/StudyView";
import { KeyboardShortcuts } from "../features/viewer/KeyboardShortcuts";
import { MaskPanel } from "../features/viewer/MaskPanel";
import { UnsavedCorrectionsDialog } from "../features/viewer/UnsavedCorrectionsDialog";
import { Viewer } from "../features/viewer/Viewer";
import { useApp } from "../stores/store";
import { ErrorBoundary } from "./ErrorBoundary";

let modelListRequested = false;

/** The page: scan bar on top, the viewer large on the left, panels in a sidebar. */
export function App() {
  const screen = useApp((s) => s.screen);
  // the training panel's form and last run belong to the model they were for: a new model, a fresh panel
  const modelKey = useApp((s) => s.loadedModelId ?? "");
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
          <span className="hidden text-xs text-slate-500 sm:inline">MRI segmentation with site adapters · runs entirely in this browser</span>
        </div>
        <ScreenTabs />
        {screen === "viewer" && (
          <ErrorBoundary area="scan bar">
            <ScanBar />
          </ErrorBoundary>
        )}
      </header>
      <ScanErrorRow />
      {screen === "study" && (
        // its view scrolls within; clipped here, so nothing in it (a hidden file input) lengthens the page
        <main className="relative min-h-0 flex-1 overflow-hidden bg-slate-950">
          <ErrorBoundary area="site study">
            <StudyView />
          </ErrorBoundary>
        </main>
      )}
      {/* the viewer stays mounted behind the study: its scan, masks and niivue instance are kept */}
      <main className={`min-h-0 flex-1 flex-col lg:flex-row ${screen === "viewer" ? "flex" : "hidden"}`}>
        <section aria-label="Viewer" className="flex min-h-[420px] min-w-0 flex-1 flex-col bg-slate-950">
          <ErrorBoundary area="viewer">
            <Viewer />
          </ErrorBoundary>
        </section>
        {/* the page's one scroll region: the header, the viewer and its bars stay in place. Relative:
            its absolutely placed descendants (FileButton's sr-only inputs) scroll with it, and do not
            lengthen the page from where they would sit down its content (the page scrolled 400 px at 1440×900) */}
        <aside aria-label="Controls" className="relative w-full shrink-0 space-y-3 overflow-y-auto border-t border-slate-800 bg-slate-950 p-3 lg:w-[330px] lg:border-l lg:border-t-0 xl:w-[380px]">
          <ErrorBoundary area="segmentation panel">
            <SegmentationPanel />
          </ErrorBoundary>
          <ErrorBoundary area="mask panel">
            <MaskPanel />
          </ErrorBoundary>
          <ErrorBoundary area="evaluation panel">
            <EvaluationPanel />
          </ErrorBoundary>
          <ErrorBoundary area="training panel">
            <TrainPanel key={modelKey} />
          </ErrorBoundary>
        </aside>
      </main>
      <DropOverlay />
      <KeyboardShortcuts />
      <UnsavedCorrectionsDialog />
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

/** Viewer (one scan) or site study (many scans, by site). */
function ScreenTabs() {
  const screen = useApp((s) => s.screen);
  const studyRunning = useApp((s) => s.studyJob.status === "running");
  const tab = (id: "viewer" | "study", label: string) => (
    <button
      type="button"
      role="tab"
      aria-selected={screen === id}
      onClick={() => useApp.getState().setScreen(id)}
      className={`rounded-md px-3 py-1 text-sm font-medium focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 ${screen === id ? "bg-slate-700 text-white" : "text-slate-400 hover:text-slate-200"}`}
    >
      {label}
      {/* steady, not pulsing: an animation while the model runs costs it CPU under software compositing (BENCHMARKS.md, issue 25) */}
      {id === "study" && studyRunning && <span aria-hidden="true" className="ml-1.5 inline-block h-2 w-2 rounded-full bg-sky-400" />}
    </button>
  );
  return (
    <div role="tablist" aria-label="Screen" className="flex gap-1 rounded-lg bg-slate-800/60 p-0.5">
      {tab("viewer", "Viewer")}
      {tab("study", "Site study")}
    </div>
  );
}
