import { SliceChart } from "../../components/SliceChart";
import { useApp } from "../../stores/store";
import type { ViewMode } from "../../stores/viewSlice";

const PLANE: Record<ViewMode, string> = { axial: "axial", coronal: "coronal", sagittal: "sagittal", multiplanar: "axial", render: "axial" };

/** Per-slice Dice along the view's slicing axis; a click moves the viewer to that slice. */
export function PerSliceChart() {
  const evaluation = useApp((s) => s.evaluation);
  const viewMode = useApp((s) => s.viewMode);
  const jump = useApp((s) => s.jump);
  const jumpToSlice = useApp((s) => s.jumpToSlice);
  if (!evaluation) return null;
  const { axis, values } = evaluation.perSlice;
  const selected = jump && jump.axis === axis ? jump.index : null;
  return (
    <SliceChart
      label="Per-slice Dice"
      values={values}
      selected={selected}
      onSelect={jumpToSlice}
      caption={`along ${PLANE[viewMode]} slices (voxel axis ${"ijk"[axis]})`}
    />
  );
}
