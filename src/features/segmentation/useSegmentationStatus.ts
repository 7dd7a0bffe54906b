import { useShallow } from "zustand/react/shallow";
import { useApp } from "../../stores/store";
import { busyWith } from "../../stores/workerSlice";
import { segmentationStatus, type SegmentationStatus } from "./segmentationStatus";

/** The segmentation's status line and progress, as the store stands. */
export function useSegmentationStatus(): SegmentationStatus {
  const input = useApp(
    useShallow((s) => ({
      job: s.job,
      result: s.result,
      lastWait: s.lastWait,
      hasPreview: s.preview !== null,
      hasScan: s.scan !== null,
      modelStatus: s.modelStatus,
      loadingInput: s.sampleLoading !== null || s.adapterStatus === "loading",
      busyWith: busyWith(s),
    })),
  );
  return segmentationStatus(input);
}
