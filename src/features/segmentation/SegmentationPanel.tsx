import { Panel } from "../../components/Panel";
import { useApp } from "../../stores/store";
import { workerBusy } from "../../stores/workerSlice";
import { AdapterPicker } from "./AdapterPicker";
import { BackendPicker } from "./BackendPicker";
import { InferenceOptions } from "./InferenceOptions";
import { ModelPicker } from "./ModelPicker";
import { ModelStatus } from "./ModelStatus";
import { ResultProvenance } from "./ResultProvenance";
import { RunControls } from "./RunControls";

/** Model and backend choice, Segment/Cancel, progress and the result's provenance. */
export function SegmentationPanel() {
  // switching model, backend or passes mid-job would cancel it or show a mask the controls no longer describe
  const busy = useApp(workerBusy);
  return (
    <Panel title="Segmentation">
      <ModelPicker busy={busy} />
      <BackendPicker busy={busy} />
      <AdapterPicker />
      <ModelStatus />
      <InferenceOptions disabled={busy} />
      <RunControls />
      <ResultProvenance />
    </Panel>
  );
}
