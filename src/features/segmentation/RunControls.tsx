import { Alert } from "../../components/Alert";
import { Button } from "../../components/Button";
import { ProgressBar } from "../../components/ProgressBar";
import { useApp } from "../../stores/store";
import { segmenting } from "../../stores/workerSlice";
import { useSegmentationStatus } from "./useSegmentationStatus";

/** Segment, Cancel and Compare; the run's progress, its status line, and why it failed. */
export function RunControls() {
  const job = useApp((s) => s.job);
  const backend = useApp((s) => s.backend);
  const adapterName = useApp((s) => s.adapter?.name ?? null);
  const comparing = useApp((s) => s.comparing);
  const canRun = useApp((s) => s.canSegment());
  const running = useApp(segmenting);
  const { runSegmentation, runComparison, cancelSegmentation } = useApp.getState();
  const status = useSegmentationStatus();
  return (
    <>
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
      <ProgressBar label="Segmentation progress" {...status.progress} />
      <p role="status" className={`text-xs font-medium ${job.status === "cancelled" ? "text-amber-300" : job.status === "done" ? "text-emerald-300" : "text-slate-400"}`}>
        {status.text}
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
    </>
  );
}
