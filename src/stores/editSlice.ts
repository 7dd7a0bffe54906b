import { applyEdit, brushIndices, StrokeRecorder, type MaskEdit } from "../core/edit/brush";
import { voxelSizes } from "../core/volume/affine";
import type { Volume } from "../core/volume/types";
import { resultKey, type ResultKey, type SegmentationResult } from "./jobSlice";
import type { Slice } from "./types";

export type EditTool = "brush" | "eraser";

/** A slice of the scan's voxel grid: `index` along voxel `axis`. */
export interface SliceRef {
  axis: number;
  index: number;
}

interface UndoStep {
  key: ResultKey;
  edit: MaskEdit;
  slice: SliceRef;
  /** Whether the slice was already marked corrected before this step. */
  wasCorrected: boolean;
}

export const UNDO_STEPS = 100;

export interface EditSlice {
  /** The active correction tool; null = the viewer navigates. */
  editTool: EditTool | null;
  /** The class the brush paints (the eraser paints background, 0). */
  editClass: number;
  brushMm: number;
  undoStack: UndoStep[];
  redoStack: UndoStep[];
  /** Bumped while a stroke paints, so the viewer redraws the mask it shares. */
  maskVersion: number;
  setEditTool: (t: EditTool | null) => void;
  setEditClass: (c: number) => void;
  setBrushMm: (mm: number) => void;
  /** Paint at voxel `centre` in the slice across voxel `axis` (a stroke runs until endStroke). */
  paintAt: (centre: [number, number, number], axis: number) => void;
  endStroke: () => void;
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

  /** The shown result becomes a new object (same voxels): volumes, Dice and the overlay recompute. */
  function commit(key: ResultKey, corrected: SliceRef[]) {
    const old = get().results[key];
    if (!old) return;
    const next = { ...old, corrected };
    set({ results: { ...get().results, [key]: next }, ...(get().result === old ? { result: next } : {}), maskVersion: get().maskVersion + 1 });
    get().recomputeEvaluation();
  }

  const same = (a: SliceRef, b: SliceRef) => a.axis === b.axis && a.index === b.index;

  function step(from: "undoStack" | "redoStack", to: "undoStack" | "redoStack", direction: "undo" | "redo") {
    // a stroke still being painted becomes a step first, so that undo takes it back
    get().endStroke();
    const stack = get()[from];
    const s = stack[stack.length - 1];
    const target = s && get().results[s.key];
    if (!s || !target) return;
    applyEdit(target.labels.data, s.edit, direction);
    const list = correctedOf(target).filter((c) => !same(c, s.slice));
    const corrected = direction === "redo" || s.wasCorrected ? [...list, s.slice] : list;
    set({ [from]: stack.slice(0, -1), [to]: [...get()[to], s] } as Partial<EditSlice>);
    commit(s.key, corrected);
  }

  return {
    editTool: null,
    editClass: 2,
    brushMm: 3,
    undoStack: [],
    redoStack: [],
    maskVersion: 0,
    setEditTool: (editTool) => set({ editTool }),
    setEditClass: (editClass) => set({ editClass }),
    setBrushMm: (brushMm) => set({ brushMm: Math.min(30, Math.max(0.5, brushMm)) }),
    paintAt: (centre, axis) => {
      const { result, editTool, editClass, brushMm } = get();
      if (!result || !editTool || get().job.status === "running") return;
      const key = resultKey(result.adapter);
      const slice = { axis, index: centre[axis] };
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
      const edit = s?.recorder.finish();
      const target = s && get().results[s.key];
      // a result replaced mid-stroke (a new run of the same mask) took the painted voxels with it
      if (!s || !edit || !target || target.labels !== s.labels) return;
      const wasCorrected = correctedOf(target).some((c) => same(c, s.slice));
      set({ undoStack: [...get().undoStack, { key: s.key, edit, slice: s.slice, wasCorrected }].slice(-UNDO_STEPS), redoStack: [] });
      commit(s.key, wasCorrected ? correctedOf(target) : [...correctedOf(target), s.slice]);
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
