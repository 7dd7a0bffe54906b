import { useDeferredValue } from "react";
import { SliceChart } from "../../components/SliceChart";
import { resultKey } from "../../stores/jobSlice";
import { useApp } from "../../stores/store";
import type { ViewMode } from "../../stores/viewSlice";

const PLANE: Record<ViewMode, string> = { axial: "axial", coronal: "coronal", sagittal: "sagittal", multiplanar: "axial", render: "axial" };

/** Per-slice Dice along the view's slicing axis, each class's on hover; a click moves the viewer to that slice. */
export function PerSliceChart() {
  // drawn in a render of its own, after the scores' task: one task for both held the page 54 ms
  // (bench/profile-segment.ts, the niivue T1 sample)
  const evaluation = useDeferredValue(useApp((s) => s.evaluation));
  const viewMode = useApp((s) => s.viewMode);
  const jump = useApp((s) => s.jump);
  const jumpToSlice = useApp((s) => s.jumpToSlice);
  const compare = useApp((s) => s.compare);
  const evaluations = useDeferredValue(useApp((s) => s.evaluations));
  if (!evaluation) return null;
  const base = compare && evaluations[resultKey(null)];
  const adapted = compare && evaluations[resultKey(compare.adapter)];
  const series =
    compare && base && adapted && base.perSlice.axis === evaluation.perSlice.axis && adapted.perSlice.axis === evaluation.perSlice.axis
      ? [
          { name: "Base", values: base.perSlice.values, color: "rgb(148 163 184)" },
          { name: `Base + ${compare.adapter}`, values: adapted.perSlice.values, color: "rgb(232 121 249)" },
        ]
      : undefined;
  const { axis, values, byClass } = evaluation.perSlice;
  const selected = jump && jump.axis === axis ? jump.index : null;
  return (
    <SliceChart
      label="Per-slice Dice"
      values={values}
      selected={selected}
      onSelect={jumpToSlice}
      caption={`along ${PLANE[viewMode]} slices (voxel axis ${"ijk"[axis]})`}
      series={series}
      breakdown={byClass && { names: Object.keys(evaluation.dice), values: byClass }}
    />
  );
}
