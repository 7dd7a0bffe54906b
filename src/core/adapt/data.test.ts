import { resolveConvention } from "../metrics/conventions";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readVolume } from "../io";
import { parseManifest } from "../manifest";
import { alignReference } from "../metrics/evaluate";
import { chooseSlices, randomContrast, sampleBatch, seededRandom, siteOnModelGrid, throughPlaneAxis, tissuePerSlice, trainingSlice, modelSliceOf, type TrainingSlice } from "./data";

const ROOT = join(import.meta.dirname, "../../..");
const MODEL = join(ROOT, "public/models/siteseg-tissue");
const manifest = parseManifest(JSON.parse(readFileSync(join(MODEL, "manifest.json"), "utf8")), "manifest.json");
const SAMPLES = join(ROOT, "public/samples");
const samples = JSON.parse(readFileSync(join(SAMPLES, "index.json"), "utf8")).sites as { id: string; image: string; label: string; convention: "freesurfer" | "gif" | "feta"; adapter: string; cases?: { id: string; image: string; label: string }[] }[];
const read = (rel: string) => readVolume(new Uint8Array(readFileSync(join(ROOT, "public/samples", rel))), rel);

describe("adapter training data", () => {
  // How many slices each shipped adapter asked for (training/README.md's recipes).
  const asked: Record<string, number> = { "niivue-t1": 10, "fpg-t2": 1, "synth-pd": 5, "synth-flair": 10 };

  it.each(samples.filter((s) => !s.cases).map((s) => [s.id, s] as const))("picks the same training slices as train_adapter.py did for %s", (_, site) => {
    const config = JSON.parse(readFileSync(join(MODEL, "adapters", site.adapter, "adapter_config.json"), "utf8"));
    const scan = read(site.image);
    const { classes } = alignReference(read(site.label), scan, resolveConvention(manifest, site.convention));
    const axis = throughPlaneAxis(scan.affine);
    expect(axis).toBe(config.training_slices.axis);
    expect(chooseSlices(tissuePerSlice(classes, scan.dims, axis), asked[site.adapter], config.training_slices.gap)).toEqual(config.training_slices.indices);
  });

  it.each(samples.filter((s) => s.cases).map((s) => [s.id, s] as const))("a multi-case site's adapter (%s) records each training case's file sha256 and the slices chosen in it", (_, site) => {
    const config = JSON.parse(readFileSync(join(MODEL, "adapters", site.adapter, "adapter_config.json"), "utf8"));
    const recorded: { id: string; sha256: string[]; axis: number; indices: number[] }[] = config.training_cases;
    expect(recorded.length).toBeGreaterThanOrEqual(2);
    for (const c of recorded) {
      const sample = site.cases!.find((k) => k.id === c.id)!;
      expect(c.sha256).toEqual([createHash("sha256").update(readFileSync(join(SAMPLES, sample.image))).digest("hex")]);
      const scan = read(sample.image);
      const { classes } = alignReference(read(sample.label), scan, resolveConvention(manifest, site.convention));
      expect(chooseSlices(tissuePerSlice(classes, scan.dims, c.axis), 10 /* scripts/ship-fetal-adapter.ts: the default --n-slices */, config.training_slices.gap)).toEqual(c.indices);
    }
  });

  it("cuts labelled model-grid slices with context, and batches crops with one-hot targets", () => {
    const site = samples.find((s) => s.id === "synth-pd")!;
    const scan = read(site.image);
    const onGrid = siteOnModelGrid(scan, read(site.label), site.convention, manifest);
    const k = modelSliceOf(scan, 2, 24, onGrid.grid);
    const slice = trainingSlice(onGrid, k, manifest.input.contextSlices);
    const plane = slice.width * slice.height;
    expect(slice.channels).toBe(3);
    // the centre channel is model-grid slice k itself, its neighbours k±1
    expect(slice.image.subarray(plane, 2 * plane)).toEqual(onGrid.image.subarray(k * plane, (k + 1) * plane));
    expect(slice.image.subarray(0, plane)).toEqual(onGrid.image.subarray((k - 1) * plane, k * plane));
    expect(slice.labels.some((v) => v === 3)).toBe(true);

    const batch = sampleBatch([slice], seededRandom(1), 4, 64);
    expect(batch.image.dims).toEqual([4, 3, 64, 64]);
    expect(batch.labels.length).toBe(4 * 64 * 64);
    expect(Math.max(...batch.labels)).toBe(3);
    // crops are centred on tissue: a good share of pixels is not background
    expect(batch.labels.filter((v) => v > 0).length / batch.labels.length).toBeGreaterThan(0.2);
    // the same seed draws the same batch
    expect(sampleBatch([slice], seededRandom(1), 4, 64).image.data).toEqual(batch.image.data);
  });

  // train_adapter.py on made-up slices (training/batch_fixture.py)
  it("draws the random numbers and batches of train_adapter.py, so both train on the same crops", () => {
    const fx = JSON.parse(readFileSync(join(ROOT, "training/parity/batch.json"), "utf8")) as {
      seed: number; first: number[]; contrast: { seed: number; size: number; image: number[] }; cases: { seed: number; batch: number; size: number; zoom?: number; gainJitter?: number; image: number[]; labels: number[] }[];
    };
    const rand = seededRandom(fx.seed);
    expect(fx.first.map(() => rand())).toEqual(fx.first);
    const madeUp = (h: number, w: number, shift: number): TrainingSlice => {
      const image = new Float32Array(3 * h * w), labels = new Uint8Array(h * w);
      for (let c = 0; c < 3; c++)
        for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) image[c * h * w + i * w + j] = ((i + j * shift + c) % 17) / 16;
      for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) labels[i * w + j] = (i * j + shift) % 5 < 3 && i > 2 && j > 4 ? (i + j) % 4 : 0;
      return { image, labels, channels: 3, height: h, width: w };
    };
    const slices = [madeUp(40, 50, 3), madeUp(30, 20, 5)];
    for (const c of fx.cases) {
      const batch = sampleBatch(slices, seededRandom(c.seed), c.batch, c.size, c.zoom, c.gainJitter);
      expect(Array.from(batch.labels)).toEqual(c.labels);
      batch.image.data.forEach((v, i) => expect(Math.abs(v - c.image[i])).toBeLessThanOrEqual(1e-6));
    }
    // the random-contrast crops that anchor training to the base
    const r = seededRandom(fx.contrast.seed);
    const contrast = randomContrast(sampleBatch(slices, r, 2, fx.contrast.size).image, r);
    contrast.data.forEach((v, i) => expect(Math.abs(v - fx.contrast.image[i])).toBeLessThanOrEqual(1e-6));
  });
});
