import { BUILTIN_CONVENTIONS, conventionId, conventionsOf, guessConvention, labelValues, MODEL_CLASSES, resolveConvention, type ConventionId } from "../core/metrics/conventions";
import type { Manifest } from "../core/manifest";
import { alignReference, checkLabelMap, evaluateAligned, hd95Task, type AlignedReference, type Evaluation } from "../core/metrics/evaluate";
import { drain, drainSliced } from "../core/metrics/hausdorff";
import type { Volume } from "../core/volume/types";
import type { ResultKey, SegmentationResult } from "./jobSlice";
import { message, type Slice } from "./types";

export interface EvaluationSlice {
  reference: { name: string; volume: Volume; values: number[] } | null;
  convention: ConventionId;
  conventionGuessed: boolean;
  /**
   * What the convention meant when it was chosen or guessed (its label: "Model classes (0
   * background, 1 CSF, …)", a table's name); null when no model was loaded then. Another model
   * scores the reference only if it offers the same convention (same id, same label).
   */
  conventionLabel: string | null;
  /** Why the reference is not scored: the model in use does not offer its convention (null: it does). */
  conventionUnfit: string | null;
  /** Dice of the shown result. */
  evaluation: Evaluation | null;
  /** Dice of every kept result (base and adapters), for the comparison. */
  evaluations: Record<ResultKey, Evaluation>;
  evaluationError: string | null;
  openReference: (name: string, bytes: Uint8Array) => Promise<void>;
  /** A reference already read (a sample site's label). */
  setReference: (name: string, volume: Volume, convention?: ConventionId) => void;
  setConvention: (c: ConventionId) => void;
  clearReference: () => void;
  recomputeEvaluation: () => void;
  /** The shown result's evaluation with its HD95, computed at once if the deferred run has not finished (for an export). */
  evaluationWithHd95: () => Evaluation | null;
  /** The reference as this model's classes on the open scan's grid (excluded labels: EXCLUDED); null without a reference it can read. */
  referenceClasses: () => Uint8Array | null;
}

/**
 * HD95 takes hundreds of milliseconds on a 256³ scan, too long for the main thread, where the
 * evaluation is recomputed after every brush stroke (the rule: no task over 50 ms). So Dice,
 * volumes and volume error are computed at once, and HD95 after the scores have stood still for
 * HD95_DELAY_MS: result by result (the shown one first), in slices of about 12 ms between tasks
 * (drainSliced), dropped as soon as the scores are recomputed (a new stroke, result or reference).
 * The table shows "…" until it is known. An export that needs it sooner computes it at once.
 */
export const HD95_DELAY_MS = 300;

/** A convention's label under `manifest`, or null when the manifest does not offer it. */
const labelUnder = (manifest: Manifest, id: ConventionId) => conventionsOf(manifest).find((c) => c.id === conventionId(id))?.label ?? null;

/** The note shown instead of scores when the model does not offer the reference's convention. */
export const unfitNote = (manifest: Manifest, label: string) =>
  `This reference is numbered in a convention ${manifest.name} does not offer (${label}): it is not scored. ` +
  `If it is in one of this model's conventions, choose it above; otherwise open a label made for this model's classes (${manifest.classes.map((c) => c.name).join(", ")}).`;
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export const createEvaluationSlice: Slice<EvaluationSlice> = (set, get) => {
  // Scores are cached per result for one (reference, convention, axis): switching the shown
  // result or adding one never re-scores the others.
  let cache = new WeakMap<SegmentationResult, Evaluation>();
  let cacheFor = "";
  // The reference on the results' grid, aligned once for them all (every result of one scan shares its grid).
  let aligned: { key: string; value: AlignedReference } | null = null;
  let referenceId = 0;
  const alignKey = (grid: Volume, convention: ConventionId) => `${referenceId}|${convention}|${grid.dims}|${grid.affine}`;
  /** The reference aligned to `labels`' grid, for the reference and convention in use. */
  const alignedTo = (labels: Volume): AlignedReference => {
    const { reference, manifest, convention } = get();
    if (!reference || !manifest) throw new Error("no reference to align");
    const key = alignKey(labels, convention);
    if (aligned?.key !== key) aligned = { key, value: alignReference(reference.volume, labels, resolveConvention(manifest, convention)) };
    return aligned.value;
  };

  // deferred HD95: a run number that any recompute (or a cleared reference) moves on, cancelling the run in flight
  let hdRun = 0;
  let hdTimer: ReturnType<typeof setTimeout> | null = null;
  const cancelHd95 = () => {
    hdRun++;
    if (hdTimer !== null) clearTimeout(hdTimer);
    hdTimer = null;
  };
  const withHd95 = (k: ResultKey, r: SegmentationResult, ev: Evaluation, hd95Mm: Record<string, number | null>) => {
    const next = { ...ev, hd95Mm };
    cache.set(r, next);
    if (get().evaluations[k] === ev) set({ evaluations: { ...get().evaluations, [k]: next }, ...(get().evaluation === ev ? { evaluation: next } : {}) });
    return next;
  };
  const scheduleHd95 = () => {
    cancelHd95();
    const run = hdRun;
    hdTimer = setTimeout(() => {
      hdTimer = null;
      void (async () => {
        const { results, result, manifest } = get();
        if (!manifest) return;
        const names = manifest.classes.map((c) => c.name);
        const order = Object.entries(results).sort(([, a], [, b]) => Number(b === result) - Number(a === result));
        for (const [k, r] of order) {
          const ev = cache.get(r);
          if (run !== hdRun || !ev || ev.hd95Mm || get().evaluations[k] !== ev) continue;
          const hd = await drainSliced(hd95Task(r.labels, alignedTo(r.labels), names), nextTask, () => run !== hdRun);
          if (!hd || run !== hdRun) return;
          withHd95(k, r, ev, hd);
        }
      })().catch(() => {}); // a reference replaced mid-run: the next recompute starts again
    }, HD95_DELAY_MS);
  };

  return {
    reference: null,
    convention: MODEL_CLASSES,
    conventionGuessed: false,
    conventionLabel: null,
    conventionUnfit: null,
    evaluation: null,
    evaluations: {},
    evaluationError: null,
    openReference: async (name, bytes) => {
      let volume: Volume;
      try {
        ({ volume } = await get().volumeReader(bytes, name, 0));
      } catch (e) {
        set({ evaluationError: message(e) });
        return;
      }
      get().setReference(name, volume);
    },
    setReference: (name, volume, convention) => {
      const values = labelValues(volume.data);
      const { manifest, scan } = get();
      const chosen = convention ?? (manifest ? guessConvention(values, conventionsOf(manifest)) : MODEL_CLASSES);
      // a convention the model does not offer (a sample's, under another model): kept, not scored
      const label = manifest ? labelUnder(manifest, chosen) : null;
      const unfit = manifest && label === null ? (BUILTIN_CONVENTIONS[conventionId(chosen)]?.label ?? chosen) : null;
      // a reference that cannot be scored is refused before it replaces the one in use
      let checked: AlignedReference | null = null;
      try {
        checkLabelMap(volume);
        if (manifest && scan && unfit === null) checked = alignReference(volume, scan.volume, resolveConvention(manifest, chosen));
      } catch (e) {
        return set({ evaluationError: `${name} was not loaded: ${message(e)}${get().reference ? ` The reference ${get().reference!.name} stays.` : ""}` });
      }
      referenceId++;
      if (checked && scan) aligned = { key: alignKey(scan.volume, chosen), value: checked }; // the scan's results share its grid
      set({ reference: { name, volume, values }, convention: chosen, conventionGuessed: !convention, conventionLabel: label ?? unfit, conventionUnfit: null, evaluationError: null });
      get().recomputeEvaluation();
      get().checkScanContrast(); // a reference tells the scan's contrast before any run
    },
    setConvention: (convention) => {
      const { manifest } = get();
      set({ convention, conventionGuessed: false, conventionLabel: manifest ? labelUnder(manifest, convention) : null, conventionUnfit: null });
      get().recomputeEvaluation();
    },
    clearReference: () => {
      cancelHd95();
      referenceId++;
      set({ reference: null, evaluation: null, evaluations: {}, evaluationError: null, conventionUnfit: null });
    },
    recomputeEvaluation: () => {
      const { reference, result, results, manifest } = get();
      if (!reference || !manifest) {
        cancelHd95();
        return set({ evaluation: null, evaluations: {} });
      }
      const known = conventionsOf(manifest);
      const { conventionLabel } = get();
      if (conventionLabel === null) {
        // set before any model was loaded: guessed among this one's conventions
        const guess = guessConvention(reference.values, known);
        set({ convention: guess, conventionGuessed: true, conventionLabel: labelUnder(manifest, guess) });
      } else if (labelUnder(manifest, get().convention) !== conventionLabel) {
        // Another model that does not offer the reference's convention (or numbers its own
        // classes otherwise): the reference stays, unscored, rather than read in a convention
        // guessed from its values (a FreeSurfer aseg's 2, 3 and 4 are BraTS labels too).
        cancelHd95();
        return set({ evaluation: null, evaluations: {}, evaluationError: null, conventionUnfit: unfitNote(manifest, conventionLabel) });
      }
      if (get().conventionUnfit !== null) set({ conventionUnfit: null });
      const convention = get().convention;
      const axis = get().perSliceAxis();
      const key = `${referenceId}|${convention}|${axis}`;
      if (key !== cacheFor) {
        cache = new WeakMap();
        cacheFor = key;
      }
      const names = manifest.classes.map((c) => c.name);
      const evaluations: Record<ResultKey, Evaluation> = {};
      try {
        for (const [k, r] of Object.entries(results)) {
          let ev = cache.get(r);
          if (!ev) cache.set(r, (ev = evaluateAligned(r.labels, alignedTo(r.labels), convention, names, axis)));
          evaluations[k] = ev;
        }
        set({ evaluations, evaluation: result ? (cache.get(result) ?? null) : null, evaluationError: null });
        scheduleHd95();
      } catch (e) {
        cancelHd95();
        set({ evaluation: null, evaluations: {}, evaluationError: message(e) });
      }
    },
    referenceClasses: () => {
      const { reference, manifest, scan, conventionUnfit } = get();
      if (!reference || !manifest || !scan || conventionUnfit !== null || labelUnder(manifest, get().convention) === null) return null;
      try {
        return alignedTo(scan.volume).classes;
      } catch {
        return null;
      }
    },
    evaluationWithHd95: () => {
      const { evaluation: ev, result, manifest } = get();
      if (!ev || !result || !manifest || ev.hd95Mm) return ev;
      const k = Object.entries(get().results).find(([, r]) => r === result)?.[0];
      const hd = drain(hd95Task(result.labels, alignedTo(result.labels), manifest.classes.map((c) => c.name)));
      return k === undefined ? { ...ev, hd95Mm: hd } : withHd95(k, result, ev, hd);
    },
  };
};
