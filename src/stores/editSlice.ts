import { segmenting } from "./workerSlice";
import { applyEdit, brushIndices, paintOnce, StrokeRecorder, type MaskEdit } from "../core/edit/brush";
import { fillRegion } from "../core/edit/fill";
import { interpolateBetween, planInterpolation } from "../core/edit/interpolate";
import { sliceAt } from "../core/edit/plane";
import { voxelSizes } from "../core/volume/affine";
import type { Volume } from "../core/volume/types";
import { resultKey, type ResultKey, type SegmentationResult } from "./jobSlice";
import type { Slice } from "./types";

/** Brush and eraser paint a disk per point of a drag; fill sets the clicked region of the slice, once per press. */
export type EditTool = "brush" | "eraser" | "fill";

/** A slice of the scan's voxel grid: `index` along voxel `axis`. */
export interface SliceRef {
  axis: number;
  index: number;
}

interface UndoStep {
  key: ResultKey;
  edit: MaskEdit;
  /** The result's corrected slices before and after this step (undo and redo set them back). */
  corrected: { before: SliceRef[]; after: SliceRef[] };
}

export const UNDO_STEPS = 100;

export interface EditSlice {
  /** The active correction tool; null = the viewer navigates. */
  editTool: EditTool | null;
  /** The class the brush, the fill and Interpolate paint (the eraser paints background, 0). */
  editClass: number;
  brushMm: number;
  undoStack: UndoStep[];
  redoStack: UndoStep[];
  /** Bumped while a stroke paints, so the viewer redraws the mask it shares. */
  maskVersion: number;
  setEditTool: (t: EditTool | null) => void;
  setEditClass: (c: number) => void;
  setBrushMm: (mm: number) => void;
  /**
   * Paint at voxel `centre` in the slice across voxel `axis` (a stroke runs until endStroke).
   * The fill tool fills the region there at the first point of a press, one undo step; the rest
   * of the press does nothing.
   */
  paintAt: (centre: [number, number, number], axis: number) => void;
  endStroke: () => void;
  /**
   * Writes the class (editClass unless given) in the slices between neighbouring corrected slices
   * of the view's axis that hold it, its shape interpolated between them: one undo step, and the
   * slices it changed are marked corrected. Returns why it did nothing, or null when it did.
   */
  interpolateClass: (label?: number) => string | null;
  /** Why interpolateClass cannot run now (null: it has slices to fill); changes no state. */
  interpolationBlocked: (label?: number) => string | null;
  /** What the last Interpolate did or why it did nothing; cleared by the next edit, undo or redo. */
  editNote: string | null;
  undo: () => void;
  redo: () => void;
  /** Kept results whose corrections have not been saved since the last one (their keys). */
  unsavedCorrections: () => ResultKey[];
  /** The mask was saved as it stands (Save mask): its corrections are no longer at risk. */
  markSaved: (result: SegmentationResult) => void;
  /** Set while a new scan waits on the user: opening it would drop the corrections not saved. */
  discardAsk: { action: string; keys: ResultKey[] } | null;
  /**
   * Runs `proceed` at once when no correction would be lost; otherwise asks first (discardAsk)
   * and runs it once the user saves or discards them, never when they cancel. A second ask
   * replaces one still open (that one is cancelled).
   */
  guardCorrections: (action: string, proceed: () => Promise<void>) => Promise<void>;
  /** The answer to discardAsk: go on (saved or discarded) or not (cancel). */
  answerDiscard: (go: boolean) => void;
}

/** Slices marked corrected on a result (the ones training uses by default). */
export const correctedOf = (r: { corrected?: SliceRef[] } | null | undefined) => r?.corrected ?? [];

export const createEditSlice: Slice<EditSlice> = (set, get) => {
  /** Results as they were saved (or as the user agreed to lose them): a correction makes a new result object, so it is unsaved again. */
  const saved = new WeakSet<SegmentationResult>();
  /** The open question's answer, awaited by the action that asked it. */
  let answer: ((go: boolean) => void) | null = null;

  /** The stroke being painted, on the very result it paints (a new result of the same mask is another). */
  let stroke: { key: ResultKey; labels: Volume; recorder: StrokeRecorder; slice: SliceRef } | null = null;
  /** A press of the fill tool has filled: the rest of its drag does nothing (until endStroke). */
  let filled = false;

  /** The shown result becomes a new object (same voxels): volumes, Dice and the overlay recompute. */
  function commit(key: ResultKey, corrected: SliceRef[]) {
    const old = get().results[key];
    if (!old) return;
    const next = { ...old, corrected };
    set({ results: { ...get().results, [key]: next }, ...(get().result === old ? { result: next } : {}), maskVersion: get().maskVersion + 1, editNote: null });
    get().recomputeEvaluation();
  }

  const same = (a: SliceRef, b: SliceRef) => a.axis === b.axis && a.index === b.index;

  /** Makes `edit`, done on `labels`, an undo step of result `key`, and marks `slices` corrected. */
  function record(key: ResultKey, labels: Volume, edit: MaskEdit, slices: SliceRef[]) {
    const target = get().results[key];
    // a result replaced mid-stroke (a new run of the same mask) took the painted voxels with it
    if (!target || target.labels !== labels) return;
    const before = correctedOf(target);
    const after = [...before, ...slices.filter((s) => !before.some((c) => same(c, s)))];
    set({ undoStack: [...get().undoStack, { key, edit, corrected: { before, after } }].slice(-UNDO_STEPS), redoStack: [] });
    commit(key, after);
  }

  /** The shown result when it may be edited now (a mask, no run about to replace it). */
  const editable = () => (get().result && !segmenting(get()) ? get().result : null);

  const className = (label: number) => get().manifest?.classes.find((c) => c.index === label)?.name ?? `class ${label}`;

  /** Which gaps Interpolate would fill in the shown result, or why none. */
  function interpolation(label: number): { result: SegmentationResult; axis: number; pairs: [number, number][] } | { reason: string } {
    const result = editable();
    if (!result) return { reason: get().result ? "Wait for the run to finish." : "Segment the scan first." };
    const axis = get().perSliceAxis();
    const { dims, data } = result.labels;
    const corrected = correctedOf(result).filter((c) => c.axis === axis).map((c) => c.index);
    const plan = planInterpolation(data, dims, axis, corrected, label, className(label));
    return "reason" in plan ? plan : { result, axis, pairs: plan.pairs };
  }

  function step(from: "undoStack" | "redoStack", to: "undoStack" | "redoStack", direction: "undo" | "redo") {
    // a stroke still being painted becomes a step first, so that undo takes it back
    get().endStroke();
    const stack = get()[from];
    const s = stack[stack.length - 1];
    const target = s && get().results[s.key];
    if (!s || !target) return;
    applyEdit(target.labels.data, s.edit, direction);
    set({ [from]: stack.slice(0, -1), [to]: [...get()[to], s] } as Partial<EditSlice>);
    commit(s.key, s.corrected[direction === "undo" ? "before" : "after"]);
  }

  return {
    editTool: null,
    editClass: 2,
    brushMm: 3,
    undoStack: [],
    redoStack: [],
    maskVersion: 0,
    editNote: null,
    setEditTool: (editTool) => set({ editTool }),
    setEditClass: (editClass) => set({ editClass }),
    setBrushMm: (brushMm) => set({ brushMm: Math.min(30, Math.max(0.5, brushMm)) }),
    paintAt: (centre, axis) => {
      const { editTool, editClass, brushMm } = get();
      const result = editable();
      if (!result || !editTool) return;
      const key = resultKey(result.adapter);
      const slice = { axis, index: centre[axis] };
      if (editTool === "fill") {
        if (filled) return;
        get().endStroke();
        filled = true;
        const edit = paintOnce(result.labels.data, fillRegion(result.labels.data, result.labels.dims, centre, axis), editClass);
        if (edit) record(key, result.labels, edit, [slice]);
        return;
      }
      if (!stroke || stroke.labels !== result.labels || !same(stroke.slice, slice)) {
        get().endStroke(); // a stroke stays in one slice and one result: crossing starts a new undo step
        stroke = { key, labels: result.labels, recorder: new StrokeRecorder(result.labels.data), slice };
      }
      const { dims, affine } = result.labels;
      const changed = stroke.recorder.paint(brushIndices(dims, voxelSizes(affine), centre, axis, brushMm / 2), editTool === "eraser" ? 0 : editClass);
      if (changed) set({ maskVersion: get().maskVersion + 1 });
    },
    endStroke: () => {
      const s = stroke;
      stroke = null;
      filled = false;
      const edit = s?.recorder.finish();
      if (s && edit) record(s.key, s.labels, edit, [s.slice]);
    },
    interpolateClass: (label = get().editClass) => {
      get().endStroke(); // a stroke still being painted is a step of its own, before this one
      const refuse = (reason: string) => (set({ editNote: reason }), reason);
      const plan = interpolation(label);
      if ("reason" in plan) return refuse(plan.reason);
      const { result, axis, pairs } = plan;
      const { dims, data, affine } = result.labels;
      const edit = paintOnce(data, pairs.flatMap(([k1, k2]) => interpolateBetween(data, dims, voxelSizes(affine), axis, k1, k2, label)), label);
      if (!edit) return refuse(`The slices between already hold the interpolated ${className(label)}.`);
      const changed = [...new Set(Array.from(edit.indices, (i) => sliceAt(dims, axis, i)))].sort((a, b) => a - b);
      record(resultKey(result.adapter), result.labels, edit, changed.map((index) => ({ axis, index })));
      set({ editNote: `${className(label)} interpolated in ${changed.length} slice${changed.length > 1 ? "s" : ""} (${changed[0]}–${changed[changed.length - 1]})` });
      return null;
    },
    interpolationBlocked: (label = get().editClass) => {
      const plan = interpolation(label);
      return "reason" in plan ? plan.reason : null;
    },
    undo: () => step("undoStack", "redoStack", "undo"),
    redo: () => step("redoStack", "undoStack", "redo"),
    unsavedCorrections: () => {
      get().endStroke(); // a stroke still being painted is a correction too
      return Object.entries(get().results)
        .filter(([, r]) => correctedOf(r).length > 0 && !saved.has(r))
        .map(([k]) => k);
    },
    markSaved: (result) => {
      saved.add(result);
    },
    discardAsk: null,
    guardCorrections: async (action, proceed) => {
      const keys = get().unsavedCorrections();
      if (keys.length) {
        answer?.(false); // an earlier question still open: its action is dropped
        const go = await new Promise<boolean>((resolve) => {
          answer = resolve;
          set({ discardAsk: { action, keys } });
        });
        if (!go) return;
        // saved, or the user agreed to lose them: not asked again for these (a nested open, a failed one)
        for (const k of keys) {
          const r = get().results[k];
          if (r) saved.add(r);
        }
      }
      await proceed();
    },
    answerDiscard: (go) => {
      const resolve = answer;
      answer = null;
      set({ discardAsk: null });
      resolve?.(go);
    },
  };
};
