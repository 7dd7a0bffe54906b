import { create } from "zustand";
import { createAdapterSlice, type AdapterSlice } from "./adapterSlice";
import { createEditSlice, type EditSlice } from "./editSlice";
import { createEvaluationSlice, type EvaluationSlice } from "./evaluationSlice";
import { createJobSlice, type JobSlice } from "./jobSlice";
import { createModelSlice, type ModelSlice } from "./modelSlice";
import { createSamplesSlice, type SamplesSlice } from "./samplesSlice";
import { createScanSlice, type ScanSlice } from "./scanSlice";
import { createStudySlice, type StudySlice } from "./studySlice";
import { createTrainSlice, type TrainSlice } from "./trainSlice";
import { createTransitionsSlice, type TransitionsSlice } from "./transitions";
import { createViewSlice, type ViewSlice } from "./viewSlice";
import { createWorkerSlice, type WorkerSlice } from "./workerSlice";

export type AppState = ScanSlice & ModelSlice & AdapterSlice & JobSlice & EvaluationSlice & ViewSlice & SamplesSlice & StudySlice & EditSlice & TrainSlice & WorkerSlice & TransitionsSlice;

/** The one store, built from slices (zustand's slices pattern). */
export const useApp = create<AppState>()((...a) => ({
  ...createScanSlice(...a),
  ...createModelSlice(...a),
  ...createAdapterSlice(...a),
  ...createJobSlice(...a),
  ...createEvaluationSlice(...a),
  ...createViewSlice(...a),
  ...createSamplesSlice(...a),
  ...createStudySlice(...a),
  ...createEditSlice(...a),
  ...createTrainSlice(...a),
  ...createWorkerSlice(...a),
  ...createTransitionsSlice(...a),
}));

const initial = useApp.getState();
/** Back to a fresh app (tests). */
export const resetApp = () => useApp.setState(initial, true);
