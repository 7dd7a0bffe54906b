import { describe, expect, it } from "vitest";
import { applyConvention, BUILTIN_CONVENTIONS, conventionsOf, guessConvention, labelCounts, labelValues, resolveConvention, tableValues } from "./conventions";

// the tissue model's classes and conventions, as its manifest names them
const TISSUE = { classes: ["background", "CSF", "GM", "WM"].map((name) => ({ name })), labelConventions: ["tissue", "freesurfer", "gif", "feta"] };
const tissue = (id: string) => resolveConvention(TISSUE, id);
const guess = (values: number[]) => guessConvention(values, conventionsOf(TISSUE));
import { classDiceOf, diceByClass, meanDice, perSliceDice, sliceClassDiceOf, sliceOverlap } from "./dice";
import { disagreement } from "./compare";
import { evaluate, ReferenceMismatchError, unknownLabelsWarning } from "./evaluate";
import type { Mat4 } from "../volume/types";

describe("Dice", () => {
  it("matches hand-computed values", () => {
    const pred = [0, 1, 1, 2, 2, 2, 0, 0];
    const ref = [0, 1, 2, 2, 2, 0, 0, 1];
    const d = diceByClass(pred, ref, 3);
    // class 1: |A|=2 |B|=2 inter=1 -> 0.5; class 2: |A|=3 |B|=3 inter=2 -> 2/3
    expect(d[1].dice).toBeCloseTo(0.5);
    expect(d[2].dice).toBeCloseTo(2 / 3);
    expect(meanDice(d)).toBeCloseTo((0.5 + 2 / 3) / 2);
    expect(diceByClass([0, 0], [0, 0], 3)[1].dice).toBeNull();
  });

  it("computes per-slice Dice along any axis", () => {
    // dims [2, 1, 2]: slice k=0 has voxels 0,1; slice k=1 has voxels 2,3
    const pred = [1, 1, 0, 0];
    const ref = [1, 0, 0, 0];
    expect(perSliceDice(pred, ref, [2, 1, 2], 2, 2)).toEqual([2 / 3, null]);
    expect(perSliceDice(pred, ref, [2, 1, 2], 0, 2)).toEqual([1, 0]);
    // dims [1, 2, 2]: slice j=0 has voxels 0,2; slice j=1 has voxels 1,3
    expect(perSliceDice(pred, ref, [1, 2, 2], 1, 2)).toEqual([1, 0]);
  });

  it("gives each class's Dice per slice, their mean being the slice's Dice", () => {
    // dims [2, 1, 2], classes 0..2: slice 0 holds class 1 (pred 1,1 vs ref 1,2); slice 1 only class 2, found
    const pred = [1, 1, 2, 0];
    const ref = [1, 2, 2, 0];
    const byClass = sliceClassDiceOf(sliceOverlap(pred, ref, [2, 1, 2], 2, 3));
    expect(byClass).toEqual([[2 / 3, 0], [null, 1]]);
    expect(perSliceDice(pred, ref, [2, 1, 2], 2, 3)).toEqual([1 / 3, 1]);
  });

  it("gives the same whole-volume Dice from slice counts along every axis", () => {
    const dims: [number, number, number] = [3, 4, 5];
    const pred = Array.from({ length: 60 }, (_, i) => (i * 7) % 3);
    const ref = Array.from({ length: 60 }, (_, i) => (i * 5) % 3);
    const whole = diceByClass(pred, ref, 3);
    for (const axis of [0, 1, 2]) expect(classDiceOf(sliceOverlap(pred, ref, dims, axis, 3))).toEqual(whole);
    expect(whole[1].predicted).toBe(20);
  });
});

describe("conventions", () => {
  it("maps FreeSurfer labels to tissue classes as the data README says", () => {
    expect([...applyConvention([0, 4, 3, 2, 24, 11105, 12175, 251, 1035, 17], tissue("freesurfer"))]).toEqual([0, 1, 2, 3, 0, 2, 2, 3, 2, 2]);
    expect(guess([0, 2, 3, 4, 41, 42, 43])).toBe("freesurfer");
    expect(guess([0, 1, 2, 3])).toBe("classes");
  });

  it("reads integer label arrays through a table and any other array value by value, with the same result", () => {
    const labels = [0, 4, 3, 2, 24, 11105, 12175, 251, 1035, 17, 4, 4, 0, -3];
    const fs = tissue("freesurfer");
    const expected = [...applyConvention(labels, fs)];
    for (const data of [Int32Array.from(labels), Int16Array.from(labels), Float32Array.from(labels)]) {
      expect([...applyConvention(data, fs)]).toEqual(expected);
      expect(labelValues(data)).toEqual([-3, 0, 2, 3, 4, 17, 24, 251, 1035, 11105, 12175]);
      expect(labelCounts(data).get(4)).toBe(3);
    }
    // a range too wide for a table (32-bit ids) is counted value by value
    expect(labelValues(Uint32Array.from([0, 4_000_000_000, 7]))).toEqual([0, 7, 4_000_000_000]);
    expect(labelValues(Float32Array.from([0.4, 1.6]))).toEqual([0, 2]);
  });

  it("maps a table onto any model's classes by name, whatever their order", () => {
    const tumour = { classes: ["background", "oedema", "tumour core"].map((name) => ({ name })), labelConventions: ["brats"] };
    // BraTS: 1 necrosis, 2 oedema, 3 non-enhancing, 4 enhancing
    expect([...applyConvention([0, 1, 2, 3, 4, 5], resolveConvention(tumour, "brats"))]).toEqual([0, 2, 1, 2, 2, 0]);
    const reordered = { ...tumour, classes: ["background", "tumour core", "oedema"].map((name) => ({ name })) };
    expect([...applyConvention([0, 1, 2, 3, 4], resolveConvention(reordered, "brats"))]).toEqual([0, 1, 2, 1, 1]);
    expect(guessConvention([0, 1, 2, 4], conventionsOf(tumour))).toBe("brats");
    expect(guessConvention([0, 1, 2], conventionsOf(tumour))).toBe("classes");
    // a table naming a class the model lacks is refused with the manifest field
    expect(() => conventionsOf({ ...tumour, labelConventions: ["freesurfer"] })).toThrow(/labelConventions\.0 \(freesurfer\): the table maps class "CSF", but the model's classes are background, oedema, tumour core/);
    expect(() => resolveConvention(tumour, "gif")).toThrow(/conventions are classes, brats/);
  });
});

describe("evaluate", () => {
  const eye: Mat4 = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  const pred = { dims: [2, 2, 1] as [number, number, number], affine: eye, data: new Uint8Array([1, 2, 3, 0]) };

  it("resamples a reference on another grid that shares world space", () => {
    // reference at 2x resolution in x covering the same world box (voxel centres at -0.25 and 0.25 ...)
    const ref = { dims: [4, 2, 1] as [number, number, number], affine: [0.5, 0, 0, -0.25, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data: new Uint8Array([1, 1, 2, 2, 3, 3, 0, 0]) };
    const e = evaluate(pred, ref, tissue("classes"), ["background", "CSF", "GM", "WM"]);
    expect(e.resampled).toBe(true);
    expect(e.dice).toEqual({ CSF: 1, GM: 1, WM: 1 });
    expect(e.meanDice).toBe(1);
  });

  it("refuses a reference that does not overlap the scan", () => {
    const far = { ...pred, affine: eye.map((v, i) => (i === 3 ? 500 : v)) };
    expect(() => evaluate(pred, far, tissue("classes"), ["background", "CSF", "GM", "WM"])).toThrow(ReferenceMismatchError);
  });
});

describe("GIF convention", () => {
  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
  // The 159 values of ../shared/data/torchio_fpg/t1_seg_gif.nii.gz (GIF v3 numbering).
  const gifValues = [
    ...range(0, 5), 12, 16, 24, 31, 32, 33, ...range(35, 43), ...range(47, 53), ...range(56, 67), 70, 72, 73, 74, 76, 77,
    ...range(81, 87), ...range(89, 94), 96, 97, ...range(101, 110), ...range(113, 126), 129, 130, ...range(133, 158),
    ...range(161, 188), ...range(191, 208),
  ];
  // A FreeSurfer aseg: shares 2, 3, 4, 41, 42, 43 with GIF but always has 7, 8, 10, 11, 17, 18.
  const aseg = [0, 2, 3, 4, 5, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 24, 26, 28, 30, 31, 41, 42, 43, 44, 46, 47, 49, 50, 51, 52, 53, 54, 58, 60, 62, 63, 72, 77, 85, ...range(251, 255)];

  it("maps hand-checked GIF labels to tissue classes", () => {
    const cases: [number, number, string][] = [
      [0, 0, "Non-Brain-Outer-Tissue"],
      [3, 0, "NonBrain-High"],
      [4, 0, "Non-ventricular-CSF (background, as FreeSurfer 24)"],
      [5, 1, "3rd-Ventricle"],
      [12, 1, "4th-Ventricle"],
      [52, 1, "Right-Lateral-Ventricle"],
      [51, 1, "Left-Inf-Lat-Vent"],
      [39, 2, "Right-Cerebellum-Exterior"],
      [60, 2, "Right-Thalamus-Proper"],
      [49, 2, "Left-Hippocampus"],
      [143, 2, "Right-MFG-middle-frontal-gyrus"],
      [208, 2, "Left-TTG-transverse-temporal-gyrus"],
      [36, 3, "Brain-Stem"],
      [42, 3, "Left-Cerebellum-White-Matter"],
      [87, 3, "Corpus-Callosum"],
      [92, 3, "Left-Frontal-White-Matter"],
      [66, 3, "Right-Ventricular-Lining"],
      [64, 0, "Right-vessel"],
      [43, 0, "Right-Cerebral-Exterior"],
    ];
    const got = [...applyConvention(cases.map((c) => c[0]), tissue("gif"))];
    expect(got.map((c, i) => `${cases[i][2]}: ${c}`)).toEqual(cases.map((c) => `${c[2]}: ${c[1]}`));
  });

  it("keeps every table's classes disjoint", () => {
    for (const t of Object.values(BUILTIN_CONVENTIONS)) {
      const all = Object.values(tableValues(t)).flat();
      expect(new Set(all).size).toBe(all.length);
    }
  });

  it("guesses GIF only from its signature", () => {
    expect(guess(gifValues)).toBe("gif");
    expect(guess(aseg)).toBe("freesurfer");
    expect(guess([...aseg.slice(0, -5), ...range(1000, 1035), ...range(2000, 2035)].sort((a, b) => a - b))).toBe("freesurfer");
    // Only a few values in 101-208 (e.g. a partial relabelling) is not enough for GIF.
    expect(guess([0, 2, 3, 4, 41, 42, 43, 101, 102])).toBe("freesurfer");
    expect(guess([0, 1, 2, 3])).toBe("classes");
  });
});

describe("disagreement between two masks", () => {
  const affine: Mat4 = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  it("marks the voxels whose classes differ, and counts them against the union of foreground", () => {
    const a = { dims: [4, 1, 1] as [number, number, number], affine, data: Uint8Array.from([0, 1, 2, 3]) };
    const b = { dims: [4, 1, 1] as [number, number, number], affine, data: Uint8Array.from([0, 1, 3, 0]) };
    const d = disagreement(a, b);
    expect(Array.from(d.volume.data)).toEqual([0, 0, 1, 1]);
    expect(d.voxels).toBe(2);
    expect(d.foreground).toBe(3);
    expect(d.volume.affine).toBe(affine);
  });
  it("refuses masks on different grids", () => {
    const a = { dims: [2, 1, 1] as [number, number, number], affine, data: new Uint8Array(2) };
    expect(() => disagreement(a, { ...a, dims: [1, 2, 1] })).toThrow(/different grids/);
  });
});

describe("honest Dice (issue 12 part 2)", () => {
  const eye: Mat4 = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  const vol = (data: number[], affine = eye, dims: [number, number, number] = [data.length, 1, 1]) => ({ dims, affine, data: Float32Array.from(data) });
  const names = ["background", "CSF", "GM", "WM"];
  const pred = { dims: [8, 1, 1] as [number, number, number], affine: eye, data: Uint8Array.from([0, 1, 1, 2, 2, 3, 3, 0]) };

  it("an empty reference leaves Dice undefined, with the reason", () => {
    const e = evaluate(pred, vol([0, 0, 0, 0, 0, 0, 0, 0]), tissue("classes"), names);
    expect(e.dice).toEqual({ CSF: null, GM: null, WM: null });
    expect(e.meanDice).toBeNull();
    expect(e.undefinedReason).toBe("The reference marks none of CSF, GM, WM, so Dice is undefined.");
  });

  it("counts reference labels the convention does not know, and refuses one that knows none", () => {
    // FreeSurfer: 4 CSF, 3 GM, 2 WM; 24 (extracerebral CSF) and 999 are not in the table
    const e = evaluate(pred, vol([0, 4, 4, 3, 3, 2, 24, 999]), tissue("freesurfer"), names);
    expect(e.ignored).toEqual({ voxels: 2, labels: [24, 999] });
    expect(e.dice.CSF).toBe(1);
    expect(() => evaluate(pred, vol([0, 24, 24, 999, 0, 0, 0, 0]), tissue("freesurfer"), names)).toThrow(/None of the reference's labels \(24, 999\) belongs to the FreeSurfer/);
  });

  it("warns when the convention leaves most labelled voxels unknown (issue 24 part 7), not when it knows half or more", () => {
    // FreeSurfer labels scored as GIF: 2 (cerebral WM) is unknown to GIF, 5 (a ventricle) a CSF label of both
    const e = evaluate(pred, vol([0, 5, 2, 2, 2, 0, 0, 0]), tissue("gif"), names);
    expect(e.conventionWarning).toBe(
      "75.0% of the reference's labelled voxels (labels 2) are unknown to the GIF parcellation (NeuroMorphometrics) convention and count as background: the reference is probably numbered in another convention, so its Dice is not to be trusted. Choose the convention the reference is numbered in.",
    );
    // the same reference in its own convention: nothing unknown, no warning
    expect(evaluate(pred, vol([0, 5, 2, 2, 2, 0, 0, 0]), tissue("freesurfer"), names).conventionWarning).toBeUndefined();
    expect(unknownLabelsWarning({ voxels: 5, labels: [24] }, 10, { label: "X" })).toBeNull(); // half: no warning
    expect(unknownLabelsWarning({ voxels: 6, labels: [1, 2, 3, 4, 5, 6, 7, 8] }, 10, { label: "X" })).toMatch(/^60\.0% of the reference's labelled voxels \(labels 1, 2, 3, 4, 5, 6 and 2 more\) are unknown to the X convention/);
    expect(unknownLabelsWarning({ voxels: 0, labels: [] }, 0, { label: "X" })).toBeNull();
  });

  it("refuses a probability map and a 4D reference", () => {
    expect(() => evaluate(pred, vol([0, 0.2, 0.9, 1, 1, 0, 0, 0]), tissue("classes"), names)).toThrow(/values that are not whole numbers \(0\.200\)/);
    expect(() => evaluate(pred, { ...vol([0, 1, 1, 2, 2, 3, 3, 0]), frames: 4 }, tissue("classes"), names)).toThrow(/has 4 volumes \(4D\)/);
  });

  it("a reference covering part of the scan is scored on the overlap, with its coverage", () => {
    // reference voxels 0-3 only (same world positions as the scan's first half)
    const part = vol([0, 1, 1, 2], eye, [4, 1, 1]);
    const e = evaluate(pred, part, tissue("classes"), names);
    expect(e.coverage).toBe(0.5);
    expect(e.dice).toEqual({ CSF: 1, GM: 1, WM: null }); // GM at voxel 4 and WM lie outside the reference: not scored
  });
});

describe("conventions that leave voxels unscored (issue 23 part 0)", () => {
  const eye: Mat4 = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  const names = ["background", "CSF", "GM", "WM"];
  const ref = (data: number[]) => ({ dims: [data.length, 1, 1] as [number, number, number], affine: eye, data: Int16Array.from(data) });

  it("feta: CSF 2, GM 5 and 6, WM 1, 7 and 8, background 0 and 4; the cerebellum (3) counts for no Dice and no volume", () => {
    // reference: 0 bg, 4 extra-axial CSF, 2 CSF, 5 6 GM, 1 7 8 WM, 3 3 cerebellum
    const reference = ref([0, 4, 2, 5, 6, 1, 7, 8, 3, 3]);
    // the mask calls the cerebellum GM and WM: were it scored, GM and WM Dice would drop
    const pred = { dims: [10, 1, 1] as [number, number, number], affine: eye, data: Uint8Array.from([0, 0, 1, 2, 2, 3, 3, 3, 2, 3]) };
    const e = evaluate(pred, reference, tissue("feta"), names);
    expect(e.dice).toEqual({ CSF: 1, GM: 1, WM: 1 });
    expect(e.counts.slice(1)).toEqual([{ predicted: 1, reference: 1 }, { predicted: 2, reference: 2 }, { predicted: 3, reference: 3 }]);
    expect(e.excluded).toEqual({ voxels: 2, labels: [3] });
    expect(e.ignored).toEqual({ voxels: 0, labels: [] });
    // the same mask scored with the cerebellum as background would lose
    const asBackground = evaluate(pred, ref([0, 4, 2, 5, 6, 1, 7, 8, 0, 0]), tissue("feta"), names);
    expect(asBackground.meanDice!).toBeLessThan(0.9);
  });

  it("is guessed for a FeTA reference, and not for FreeSurfer or GIF ones", () => {
    expect(guess([0, 1, 2, 3, 4, 5, 6, 7, 8])).toBe("feta");
    expect(guess([0, 2, 3, 4, 5, 7, 8, 10, 11, 12, 13, 17, 18, 24, 41, 42, 43])).toBe("freesurfer");
  });

  it("refuses a reference that holds only excluded labels: nothing is left to score", () => {
    const pred = { dims: [4, 1, 1] as [number, number, number], affine: eye, data: Uint8Array.from([0, 2, 3, 0]) };
    expect(() => evaluate(pred, ref([0, 3, 3, 0]), tissue("feta"), names)).toThrow(/leaves every labelled voxel of the reference unscored \(labels 3 are excluded\)/);
  });

  it("a manifest's own table may exclude labels, but not map and exclude the same one", () => {
    const own = { classes: TISSUE.classes, labelConventions: [{ id: "ours", label: "Ours", classes: { GM: [1] }, excluded: [9] }] };
    expect(resolveConvention(own, "ours").map(9)).toBe(255);
    const both = { classes: TISSUE.classes, labelConventions: [{ id: "bad", label: "Bad", classes: { GM: [9] }, excluded: [9] }] };
    expect(() => conventionsOf(both)).toThrow(/label 9 is both excluded and mapped to GM/);
  });
});
