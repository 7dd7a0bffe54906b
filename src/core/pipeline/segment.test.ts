import { describe, expect, it } from "vitest";
import { parseManifest } from "../manifest/schema";
import { multiply4 } from "../volume/affine";
import type { Mat4, Volume } from "../volume/types";
import { CancelledError, type InferenceRunner } from "./runner";
import { segment } from "./segment";

// Geometry tests of the pipeline with a transparent runner: "foreground where the centre slice
// is bright". The real model is exercised by the CLI and end-to-end tests.
const manifest = parseManifest({
  schemaVersion: 1, id: "threshold", name: "threshold", version: "0",
  files: { model: { path: "none", sha256: "0".repeat(64), bytes: 1 } },
  input: { orientation: "RAS", spacing: [1, 1, 1], sliceAxis: 2, contextSlices: 1, multipleOf: 8, maxSliceSize: [64, 64], batchSize: 3, inputName: "image", outputName: "logits" },
  preprocess: [{ kind: "percentileScale", lower: 0, upper: 100 }],
  classes: [{ index: 0, name: "bg", color: [0, 0, 0] }, { index: 1, name: "bright", color: [255, 0, 0] }],
  background: "bg",
  labelConventions: ["tissue"],
});

const threshold: InferenceRunner = {
  backend: "test",
  async run(feeds) {
    const { data, dims } = feeds.image;
    const [n, c, h, w] = dims;
    const out = new Float32Array(n * 2 * h * w);
    for (let b = 0; b < n; b++) for (let p = 0; p < h * w; p++) {
      const x = data[(b * c + (c - 1) / 2) * h * w + p];
      out[(b * 2) * h * w + p] = 20 * (0.5 - x);
      out[(b * 2 + 1) * h * w + p] = 20 * (x - 0.5);
    }
    return { logits: { data: out, dims: [n, 2, h, w] } };
  },
};

/** A blocky phantom in RAS: values far from the 0.5 threshold after scaling. */
function phantom(dims: [number, number, number]): Float32Array {
  const data = new Float32Array(dims[0] * dims[1] * dims[2]);
  let d = 0;
  for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++, d++) {
    const inside = i > 2 && j > 3 && k > 1 && i < dims[0] - 3 && j < dims[1] - 2 && k < dims[2] - 2;
    data[d] = !inside ? 0 : (i + 2 * j + 3 * k) % 7 < 3 ? 90 : 20;
  }
  return data;
}

/** Store the same RAS phantom with another voxel order: permute/flip axes, world unchanged. */
function relayout(src: Volume, order: [number, number, number], flip: [boolean, boolean, boolean]): Volume {
  const dims = order.map((a) => src.dims[a]) as [number, number, number];
  // new voxel index n -> old index o: o[order[a]] = flip[a] ? dims[a]-1-n[a] : n[a]
  const P: Mat4 = new Array(16).fill(0);
  P[15] = 1;
  order.forEach((a, c) => {
    P[a * 4 + c] = flip[c] ? -1 : 1;
    P[a * 4 + 3] += flip[c] ? dims[c] - 1 : 0;
  });
  const data = new Float32Array(src.data.length);
  let d = 0;
  for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++, d++) {
    const o = [0, 1, 2].map((r) => P[r * 4] * i + P[r * 4 + 1] * j + P[r * 4 + 2] * k + P[r * 4 + 3]);
    data[d] = src.data[(o[2] * src.dims[1] + o[1]) * src.dims[0] + o[0]];
  }
  return { dims, affine: multiply4(src.affine, P), data };
}

const expected = (v: Volume) => Array.from(v.data, (x) => (x > 50 ? 1 : 0));

describe("segment geometry", () => {
  const dims: [number, number, number] = [17, 21, 13];
  const ras: Volume = { dims, affine: [1, 0, 0, -8, 0, 1, 0, -12, 0, 0, 1, 5, 0, 0, 0, 1], data: phantom(dims) };

  it.each([
    ["RAS", [0, 1, 2], [false, false, false]],
    ["LIA", [0, 2, 1], [true, true, false]],
    ["LPS", [0, 1, 2], [true, true, false]],
    ["PSR", [1, 2, 0], [true, false, false]],
  ] as const)("puts every label on its voxel for a %s scan", async (_, order, flip) => {
    const scan = relayout(ras, [...order], [...flip]);
    const result = await segment(scan, manifest, threshold);
    expect(result.labels.dims).toEqual(scan.dims);
    expect(result.labels.affine).toEqual(scan.affine);
    expect(Array.from(result.labels.data)).toEqual(expected(scan));
  });

  it("keeps anisotropic voxels (1 x 1 x 3 mm) on their own grid", async () => {
    const scan = { ...ras, affine: [1, 0, 0, -8, 0, 1, 0, -12, 0, 0, 3, 5, 0, 0, 0, 1] };
    const result = await segment(scan, manifest, threshold);
    expect(Array.from(result.labels.data)).toEqual(expected(scan));
  });

  it("follows an oblique affine (20° about z) to within a voxel's blur", async () => {
    const t = (20 * Math.PI) / 180;
    const rot: Mat4 = [Math.cos(t), -Math.sin(t), 0, 0, Math.sin(t), Math.cos(t), 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    const scan = { ...ras, affine: multiply4(rot, ras.affine) };
    const result = await segment(scan, manifest, threshold);
    const want = expected(scan);
    const agree = want.filter((v, i) => v === result.labels.data[i]).length / want.length;
    expect(agree).toBeGreaterThan(0.9);
  });

  it("reports progress and stops when cancelled", async () => {
    const progress: number[] = [];
    const abort = new AbortController();
    const run = segment(ras, manifest, threshold, {
      signal: abort.signal,
      onProgress: (done) => {
        progress.push(done);
        if (progress.length === 2) abort.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(progress.length).toBe(2);
  });
});

describe("each batch runs on its own part of the scan's window", () => {
  // a ball: its end slices hold a small disc, its middle ones a wide one
  const dims: [number, number, number] = [48, 48, 24];
  const ball: Volume = { dims, affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data: new Float32Array(48 * 48 * 24) };
  for (let k = 0, d = 0; k < 24; k++) for (let j = 0; j < 48; j++) for (let i = 0; i < 48; i++, d++) {
    if ((i - 23.5) ** 2 + (j - 23.5) ** 2 + (2 * (k - 11.5)) ** 2 < 22 ** 2) ball.data[d] = (i + 2 * j + 3 * k) % 7 < 3 ? 90 : 20;
  }

  it("small slices run in small windows, and the mask is the same", async () => {
    const sizes: number[] = [];
    const recording: InferenceRunner = { backend: "test", run: (feeds) => (sizes.push(feeds.image.dims[2] * feeds.image.dims[3]), threshold.run(feeds)) };
    const result = await segment(ball, manifest, recording);
    expect(Array.from(result.labels.data)).toEqual(expected(ball));
    // the whole window is the ball's 44-voxel span padded to 48: the end batches run in far less
    expect(Math.max(...sizes)).toBe(48 * 48);
    expect(Math.min(...sizes)).toBeLessThan((48 * 48) / 2);
  });

  it("keeps the network's pooling grid: every window starts a whole number of steps from the scan window's start", async () => {
    // marks the voxels at window coordinates that are multiples of the step: a network that pools
    // sees the same grid in every batch only when these land on the same columns and rows
    const step = manifest.input.multipleOf;
    const gridMarker: InferenceRunner = {
      backend: "test",
      async run(feeds) {
        const [n, , h, w] = feeds.image.dims;
        const out = new Float32Array(n * 2 * h * w);
        for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
          const on = x % step === 0 && y % step === 0;
          out[(b * 2) * h * w + y * w + x] = on ? -5 : 5;
          out[(b * 2 + 1) * h * w + y * w + x] = on ? 5 : -5;
        }
        return { logits: { data: out, dims: [n, 2, h, w] } };
      },
    };
    const labels = (await segment(ball, manifest, gridMarker)).labels.data;
    const phases = new Set<string>();
    for (let d = 0; d < labels.length; d++) if (labels[d]) phases.add(`${(d % 48) % step},${(Math.floor(d / 48) % 48) % step}`);
    expect(phases.size).toBe(1);
  });
});

describe("previews while a long run goes on", () => {
  // 56 occupied axial slices: 19 batches of 3, enough for previews
  const dims: [number, number, number] = [16, 16, 60];
  const scan: Volume = { dims, affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data: phantom(dims) };
  const slicesWith = (labels: Uint8Array) => new Set(Array.from(labels.keys()).filter((i) => labels[i]).map((i) => Math.floor(i / (dims[0] * dims[1]))));

  it("shows the mask so far twice, growing slice by slice, each voxel as the final mask has it or background", async () => {
    const previews: Uint8Array[] = [];
    const result = await segment(scan, manifest, threshold, { onPreview: (labels) => previews.push(labels) });
    const final = result.labels.data;
    expect(previews.length).toBe(2);
    const [first, second] = previews.map(slicesWith);
    const all = slicesWith(final);
    expect(first.size).toBeGreaterThan(0);
    expect(first.size).toBeLessThan(second.size);
    expect(second.size).toBeLessThan(all.size);
    for (const p of previews) {
      expect(p.length).toBe(final.length);
      expect(p.every((v, i) => v === 0 || v === final[i])).toBe(true);
      // the slices run so far, from the first one: no gaps
      const shown = [...slicesWith(p)].sort((a, b) => a - b);
      expect(shown).toEqual([...all].sort((a, b) => a - b).slice(0, shown.length));
    }
  });

  it("with extra passes, shows the first pass's mask so far, early", async () => {
    const flipping = parseManifest({ ...manifest, inference: { options: [{ id: "flip", kind: "flip", axis: 0, label: "mirror", default: true }] } });
    const progress: number[] = [];
    const seenAt: number[] = [];
    const result = await segment(scan, flipping, threshold, { onProgress: (done) => progress.push(done), onPreview: () => seenAt.push(progress[progress.length - 1]) });
    expect(result.passes).toBe(2);
    expect(seenAt.length).toBe(2);
    // within the first of the two passes (56 slices each), as a single pass would show them
    expect(seenAt[1]).toBeLessThanOrEqual(progress[0] + 56);
  });

  it("sends none for a short run", async () => {
    const previews: Uint8Array[] = [];
    await segment({ ...scan, dims: [16, 16, 20], data: phantom([16, 16, 20]) }, manifest, threshold, { onPreview: (labels) => previews.push(labels) });
    expect(previews).toEqual([]);
  });
});

describe("an empty mask is never a plain success", () => {
  const dims: [number, number, number] = [17, 21, 13];
  const scan: Volume = { dims, affine: [1, 0, 0, -8, 0, 1, 0, -12, 0, 0, 1, 5, 0, 0, 0, 1], data: phantom(dims) };
  const blind: InferenceRunner = {
    backend: "test",
    async run(feeds) {
      const [n, , h, w] = feeds.image.dims;
      const out = new Float32Array(n * 2 * h * w);
      for (let b = 0; b < n; b++) out.fill(10, b * 2 * h * w, (b * 2 + 1) * h * w); // background everywhere
      return { logits: { data: out, dims: [n, 2, h, w] } };
    },
  };

  it("warns when the model finds none of its classes in a scan with signal", async () => {
    expect((await segment(scan, manifest, threshold)).warnings).toEqual([]);
    const r = await segment(scan, manifest, blind);
    expect(r.labels.data.every((v) => v === 0)).toBe(true);
    expect(r.warnings).toEqual(["The mask is empty: the model found no bright anywhere in this scan. Check that the scan is what the model expects (threshold), or try a site adapter."]);
  });
});

describe("the slices to segment are found from the image, whatever the normalisation", () => {
  // tissue in every slice, but slices 0-5 darker than the mean: negative after zscore
  const dims: [number, number, number] = [16, 16, 12];
  const data = new Float32Array(16 * 16 * 12);
  for (let k = 0; k < 12; k++) for (let j = 4; j < 12; j++) for (let i = 4; i < 12; i++) data[i + 16 * (j + 16 * k)] = k < 6 ? 20 : 90;
  const scan: Volume = { dims, affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data };
  // "foreground wherever the centre slice is not background (0)"
  const nonzero: InferenceRunner = {
    backend: "test",
    async run(feeds) {
      const { data: x, dims: [n, c, h, w] } = feeds.image;
      const out = new Float32Array(n * 2 * h * w);
      for (let b = 0; b < n; b++) for (let p = 0; p < h * w; p++) out[(b * 2 + 1) * h * w + p] = x[(b * c + (c - 1) / 2) * h * w + p] !== 0 ? 10 : -10;
      return { logits: { data: out, dims: [n, 2, h, w] } };
    },
  };

  // (percentileScale maps the darkest tissue to 0 itself, so this runner cannot tell it from background)
  it("zscore: dark tissue slices are segmented too", async () => {
    const r = await segment(scan, { ...manifest, preprocess: [{ kind: "zscore" }] }, nonzero);
    const perSlice = Array.from({ length: 12 }, (_, k) => r.labels.data.subarray(k * 256, (k + 1) * 256).reduce((a, v) => a + v, 0));
    expect(perSlice).toEqual(Array(12).fill(64));
  });
});

describe("inference options: mirrored pass and other planes, averaged", () => {
  const dims: [number, number, number] = [17, 21, 13];
  // no tissue above slice 7: the occupied slices are not symmetric either
  const ras: Volume = { dims, affine: [1, 0, 0, -8, 0, 1, 0, -12, 0, 0, 1, 5, 0, 0, 0, 1], data: phantom(dims).map((v, i) => (i >= 17 * 21 * 8 ? 0 : v)) };
  const withOptions = (m = manifest) => parseManifest({
    ...m,
    inference: { options: [
      { id: "flip", kind: "flip", axis: 0, label: "mirror", default: true },
      { id: "flip-s", kind: "flip", axis: m.input.sliceAxis, label: "mirror along the slices" },
      { id: "triplanar", kind: "planes", axes: [0, 1, 2].filter((a) => a !== m.input.sliceAxis), label: "three planes" },
    ] },
  });
  const counting = () => {
    const inputs: { data: Float32Array; dims: number[] }[] = [];
    const runner: InferenceRunner = { backend: "test", run: async (feeds) => (inputs.push(feeds.image), threshold.run(feeds)) };
    return { runner, inputs };
  };

  // The threshold runner commutes with mirroring and with the slice direction, and the phantom
  // is asymmetric: any pass whose output landed on the wrong voxels would break the tie to background.
  it.each([
    ["RAS", [0, 1, 2], [false, false, false]],
    ["LIA", [0, 2, 1], [true, true, false]],
    ["PSR", [1, 2, 0], [true, false, false]],
  ] as const)("a %s scan gets the same labels with each option, on every voxel", async (_, order, flip) => {
    const scan = relayout(ras, [...order], [...flip]);
    for (const sliceAxis of [2, 0, 1] as const) {
      const m = withOptions(parseManifest({ ...manifest, input: { ...manifest.input, sliceAxis } }));
      for (const options of [["flip"], ["flip-s"], ["triplanar"], ["flip", "triplanar"]]) {
        const r = await segment(scan, m, threshold, { options });
        expect(Array.from(r.labels.data), `slice axis ${sliceAxis}, ${options}`).toEqual(expected(scan));
      }
    }
  });

  it("runs one pass per plane and mirror, the manifest's defaults when none are named", async () => {
    const m = withOptions();
    const plain = counting(), flipped = counting(), all = counting();
    expect((await segment(ras, m, plain.runner, { options: [] })).passes).toBe(1);
    expect((await segment(ras, m, flipped.runner)).passes).toBe(2); // "flip" is on by default
    expect((await segment(ras, m, all.runner, { options: ["flip", "triplanar"] })).passes).toBe(6);
    expect(flipped.inputs.length).toBe(2 * plain.inputs.length);
    // the second pass sees the first one's slices mirrored left-right
    const [a, b] = [flipped.inputs[0], flipped.inputs[plain.inputs.length]];
    const [, , h, w] = a.dims;
    expect(b.dims).toEqual(a.dims);
    const mirrored = a.data.map((_, i) => a.data[i - (i % w) + (w - 1 - (i % w))]);
    expect(b.data.some((v, i) => v !== a.data[i])).toBe(true);
    expect(Array.from(b.data)).toEqual(Array.from(mirrored));
    expect(h).toBeGreaterThan(0);
  });

  it("every pass runs exactly the slices that hold tissue, mirrored ones included", async () => {
    const tissueSlices = (o: { data: Float32Array; dims: number[] }) => {
      const [n, c, h, w] = o.dims;
      return Array.from({ length: n }, (_, b) => o.data.subarray((b * c + (c - 1) / 2) * h * w, (b * c + (c + 1) / 2) * h * w).some((v) => v !== 0));
    };
    for (const options of [["flip-s"], ["triplanar"]]) {
      const { runner, inputs } = counting();
      await segment(ras, withOptions(), runner, { options });
      const fed = inputs.flatMap(tissueSlices);
      expect(fed.every(Boolean), `${options}`).toBe(true);
    }
    const { runner, inputs } = counting();
    await segment(ras, withOptions(), runner, { options: ["flip-s"] });
    expect(inputs.flatMap(tissueSlices).length).toBe(2 * 6); // slices 2-7, twice
  });

  it("leaves other planes out on a scan with thick slices when the manifest limits them, and says why", async () => {
    const m = parseManifest({ ...withOptions(), inference: { options: [{ id: "triplanar", kind: "planes", axes: [0, 1], maxAnisotropy: 2, label: "Also sagittal and coronal slices" }] } });
    // the same voxels, 1 × 1 × 2 mm (at the limit) and 0.7 × 0.7 × 5.5 mm (past it)
    const at = { ...ras, affine: [1, 0, 0, -8, 0, 1, 0, -12, 0, 0, 2, 5, 0, 0, 0, 1] as Mat4 };
    const thick = { ...ras, affine: [0.7, 0, 0, -8, 0, 0.7, 0, -12, 0, 0, 5.5, 5, 0, 0, 0, 1] as Mat4 };
    const atLimit = await segment(at, m, threshold, { options: ["triplanar"] });
    expect([atLimit.options, atLimit.passes, atLimit.skipped]).toEqual([["triplanar"], 3, []]);
    const past = await segment(thick, m, threshold, { options: ["triplanar"] });
    expect([past.options, past.passes]).toEqual([[], 1]);
    expect(past.skipped).toEqual(['"Also sagittal and coronal slices" was skipped: this scan\'s voxels are 0.70 × 0.70 × 5.50 mm, sides 7.9× apart, and the model takes other planes only up to 2×.']);
    // without the limit the planes run on any scan
    expect((await segment(thick, withOptions(), threshold, { options: ["triplanar"] })).passes).toBe(3);
  });

  it("refuses an option the manifest does not offer, naming those it does", async () => {
    await expect(segment(ras, withOptions(), threshold, { options: ["tta"] })).rejects.toThrow('threshold has no inference option "tta"; it offers "flip", "flip-s", "triplanar".');
    await expect(segment(ras, manifest, threshold, { options: ["flip"] })).rejects.toThrow('it offers none.');
  });
});

describe("segment's mask cleanup (a manifest option, on the scan's grid)", () => {
  const withCleanup = (on: boolean) =>
    parseManifest({
      ...manifest,
      inference: { options: [{ id: "cleanup", kind: "cleanup", keep: "largest", fillHoles: true, label: "Remove tissue outside the brain", default: on }] },
    });
  // a phantom head (a solid bright block) and, apart from it in the air, a bright object (a marker)
  const dims: [number, number, number] = [30, 24, 16];
  const data = new Float32Array(dims[0] * dims[1] * dims[2]);
  const at = (i: number, j: number, k: number) => (k * dims[1] + j) * dims[0] + i;
  let head = 0, marker = 0;
  for (let k = 2; k < 14; k++) for (let j = 3; j < 21; j++) for (let i = 2; i < 18; i++, head++) data[at(i, j, k)] = 90;
  data[at(9, 11, 7)] = 5; // a dark voxel inside the head: a hole the cleanup fills
  for (let k = 6; k < 9; k++) for (let j = 10; j < 13; j++) for (let i = 23; i < 27; i++, marker++) data[at(i, j, k)] = 90;
  const scan: Volume = { dims, affine: [1.2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1.5, 0, 0, 0, 0, 1], data };
  const tissue = (labels: Uint8Array, i0: number, i1: number) => {
    let n = 0;
    for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = i0; i < i1; i++) n += labels[at(i, j, k)];
    return n;
  };

  it("by default, removes the object outside the head, fills the hole in it, and says how much in voxels and mL", async () => {
    const r = await segment(scan, withCleanup(true), threshold);
    expect(r.options).toEqual(["cleanup"]);
    expect(r.passes).toBe(1); // no model run of its own
    expect(tissue(r.labels.data, 20, 30)).toBe(0);
    expect(tissue(r.labels.data, 0, 20)).toBe(head);
    expect(r.cleanup).toMatchObject({ option: "cleanup", removed: { voxels: marker, fragments: 1 }, filled: { voxels: 1, holes: 1 }, components: 2, kept: 1 });
    expect(r.cleanup!.removed.ml).toBeCloseTo((marker * 1.2 * 1.5) / 1000, 9);
  });

  it("turned off, leaves the model's mask as it came: the object stays tissue and the result says no cleanup ran", async () => {
    const r = await segment(scan, withCleanup(true), threshold, { options: [] });
    expect(r.cleanup).toBeUndefined();
    expect(tissue(r.labels.data, 20, 30)).toBe(marker);
    expect(tissue(r.labels.data, 0, 20)).toBe(head - 1);
    // a manifest that offers it off by default runs it only when asked
    expect((await segment(scan, withCleanup(false), threshold)).cleanup).toBeUndefined();
    expect((await segment(scan, withCleanup(false), threshold, { options: ["cleanup"] })).cleanup?.removed.voxels).toBe(marker);
  });
});
