import { useEffect, type RefObject } from "react";
import type { Volume } from "../../core/volume/types";
import { useApp } from "../../stores/store";
import type { MaskClass, NiivueController } from "./niivueController";

/**
 * The store drives the viewer: scan, mask (or the run's mask so far), disagreement overlay, the
 * correction painter, class visibility, opacity, view mode, slice jumps and keyboard slice steps.
 */
export function useControllerSync(ctlRef: RefObject<NiivueController | null>, diff: { volume: Volume } | null) {
  const scan = useApp((s) => s.scan);
  const result = useApp((s) => s.result);
  const preview = useApp((s) => s.preview);
  const manifest = useApp((s) => s.manifest);
  const viewMode = useApp((s) => s.viewMode);
  const setViewMode = useApp((s) => s.setViewMode);
  const opacity = useApp((s) => s.opacity);
  const maskVisible = useApp((s) => s.maskVisible);
  const hiddenClasses = useApp((s) => s.hiddenClasses);
  const showDisagreement = useApp((s) => s.showDisagreement);
  const jump = useApp((s) => s.jump);
  const editTool = useApp((s) => s.editTool);
  const maskVersion = useApp((s) => s.maskVersion);

  useEffect(() => {
    void ctlRef.current?.setScan(scan, scan?.volume ?? null, scan?.name ?? "");
  }, [ctlRef, scan]);

  useEffect(() => {
    const classes: MaskClass[] = manifest?.classes.map((c) => ({ index: c.index, name: c.name, color: c.color })) ?? [];
    // the run's mask so far stands in only where there is no result yet
    const shown = result ?? preview;
    void ctlRef.current?.setMask(shown, shown?.labels ?? null, classes).then(() => result && useApp.getState().markShown(result));
  }, [ctlRef, result, preview, manifest]);

  // Corrections: left-drag paints while a tool is active; the mask redraws as it changes.
  useEffect(() => {
    const ctl = ctlRef.current;
    if (!ctl) return;
    if (!editTool || !result) return ctl.setPainter(null);
    ctl.setPainter({
      paint: (mm) => {
        const v = ctl.voxelAt(mm);
        if (v) useApp.getState().paintAt(v, useApp.getState().perSliceAxis());
      },
      end: () => useApp.getState().endStroke(),
    });
  }, [ctlRef, editTool, result]);
  useEffect(() => {
    if (result) ctlRef.current?.refreshMask(result.labels);
  }, [maskVersion]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    // a brush paints one plane: the multiplanar and 3D views give way to a single slice view
    if (editTool && (viewMode === "multiplanar" || viewMode === "render")) setViewMode("axial");
  }, [editTool, viewMode, setViewMode]);

  const overlay = diff && showDisagreement ? diff : null;
  useEffect(() => {
    void ctlRef.current?.setDisagreement(overlay, overlay?.volume ?? null);
  }, [ctlRef, overlay, scan]);
  useEffect(() => ctlRef.current?.setHiddenClasses(hiddenClasses), [ctlRef, hiddenClasses]);
  useEffect(() => ctlRef.current?.setOpacity(maskVisible ? opacity : 0), [ctlRef, opacity, maskVisible]);
  useEffect(() => ctlRef.current?.setViewMode(viewMode), [ctlRef, viewMode]);
  useEffect(() => {
    if (jump) ctlRef.current?.jumpToSlice(jump.axis, jump.index);
  }, [ctlRef, jump]);
  // Slice steps from the keyboard (shortcuts.ts), every one of them: a subscription, not a render.
  useEffect(
    () =>
      useApp.subscribe((s, prev) => {
        if (s.sliceStep && s.sliceStep !== prev.sliceStep) ctlRef.current?.stepSlice(s.sliceStep.delta);
      }),
    [ctlRef],
  );
}
