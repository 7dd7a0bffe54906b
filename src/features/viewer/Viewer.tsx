import { formatsSentence } from "../../core/io/formats";
import { useRef, useState } from "react";
import { Alert } from "../../components/Alert";
import { useApp } from "../../stores/store";
import { CompareBar } from "./CompareBar";
import { CorrectionToolbar } from "./CorrectionToolbar";
import { CursorReadout } from "./CursorReadout";
import type { NiivueController } from "./niivueController";
import { useComparison } from "./useComparison";
import { useControllerSync } from "./useControllerSync";
import { useCursorLocation } from "./useCursorLocation";
import { useNiivueController } from "./useNiivueController";
import { ViewToolbar, type WindowRange } from "./ViewToolbar";

/** The niivue canvas with its bars: view and window above, correction and compare, the cursor readout below. */
export function Viewer() {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const ctlRef = useRef<NiivueController | null>(null);
  const hasScan = useApp((s) => s.scan !== null);
  // an error, or the notice of how the viewer draws (a different title: nothing went wrong)
  const [viewerMessage, setViewerMessage] = useState<{ text: string; notice: boolean } | null>(null);
  const setViewerError = (text: string | null) => setViewerMessage(text === null ? null : { text, notice: false });
  const [drawing, setDrawing] = useState<string | null>(null);
  const [windowRange, setWindowRange] = useState<WindowRange | null>(null);
  const { voxel, onLocation, onHover } = useCursorLocation(ctlRef);
  useNiivueController(canvasRef, ctlRef, { onLocation, onHover, onWindow: (min, max) => setWindowRange({ min, max }), onError: setViewerError, onNotice: (text) => setViewerMessage({ text, notice: true }), onDrawing: setDrawing });
  const comparison = useComparison();
  useControllerSync(ctlRef, comparison?.diff ?? null);

  return (
    // a container: its bars shorten their labels while the viewer is narrow (@wide, index.css)
    <div className="@container flex h-full min-h-0 flex-col">
      <ViewToolbar ctlRef={ctlRef} windowRange={windowRange} setWindowRange={setWindowRange} voxel={voxel} onError={setViewerError} />
      {/* always there (disabled without a mask): the view never shrinks, and redraws, when a scan or mask arrives */}
      <CorrectionToolbar />
      {comparison && <CompareBar comparison={comparison} />}
      {viewerMessage && (
        <div className="px-3 pt-2">
          <Alert title={viewerMessage.notice ? "How the viewer draws" : "Viewer problem"} tone={viewerMessage.notice ? "warning" : "error"} onDismiss={() => setViewerMessage(null)}>
            {viewerMessage.text}
          </Alert>
        </div>
      )}
      <div className="relative min-h-0 flex-1">
        <canvas ref={canvasRef} aria-label="Scan viewer" tabIndex={0} className="absolute inset-0 block h-full w-full outline-none" />
        {drawing && (
          <p role="note" aria-live="polite" aria-label="Viewer drawing" className="pointer-events-none absolute left-1/2 top-3 -translate-x-1/2 rounded-md bg-slate-900/90 px-3 py-1.5 text-xs text-sky-200 shadow">
            {drawing} A large scan can take several seconds without a graphics card.
          </p>
        )}
        {!hasScan && <EmptyViewer />}
      </div>
      <CursorReadout />
    </div>
  );
}

/** Before a scan: where to drop one, and what is read. */
function EmptyViewer() {
  return (
    <div className="pointer-events-none absolute inset-0 flex items-center justify-center">
      <div className="max-w-sm rounded-xl border border-dashed border-slate-700 bg-slate-900/80 px-8 py-10 text-center">
        <p className="text-base font-semibold text-slate-200">Drop a brain MRI here</p>
        <p className="mt-2 text-sm text-slate-400">or use Open scan or Open sample above. {formatsSentence()} are read in this browser; nothing is uploaded.</p>
      </div>
    </div>
  );
}
