import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readVolume } from "../io";
import { parseManifest } from "../manifest";
import { alignReference } from "../metrics/evaluate";
import { chooseSlices, sampleBatch, seededRandom, siteOnModelGrid, throughPlaneAxis, tissuePerSlice, trainingSlice, modelSliceOf } from "./data";

const ROOT = join(import.meta.dirname, "../../..");
const MODEL = join(ROOT, "public/models/siteseg-tissue");
const manifest = parseManifest(JSON.parse(readFileSync(join(MODEL, "manifest.json"), "utf8")), "manifest.json");
const samples = JSON.parse(readFileSync(join(ROOT, "public/samples/index.json"), "utf8")).sites as { id: string; image: string; label: string; convention: "freesurfer" | "gif"; adapter: string }[];
const read = (rel: string) => readVolume(new Uint8Array(readFileSync(join(ROOT, "public/samples", rel))), rel);

describe("adapter training data", () => {
  // How many slices each shipped adapter asked for (training/README.md's recipes).
  const asked: Record<string, number> = { "niivue-t1": 10, "fpg-t2": 1, "synth-pd": 5, "synth-flair": 10 };

  it.each(samples.map((s) => [s.id, s] as const))("picks the same training slices as train_adapter.py did for %s", (_, site) => {
    const config = JSON.parse(readFileSync(join(MODEL, "adapters", site.adapter, "adapter_config.json"), "utf8"));
    const scan = read(site.image);
    const { classes } = alignReference(read(site.label), scan, site.convention, manifest.classes.length);
    const axis = throughPlaneAxis(scan.affine);
    expect(axis).toBe(config.training_slices.axis);
    expect(chooseSlices(tissuePerSlice(classes, scan.dims, axis), asked[site.adapter], config.training_slices.gap)).toEqual(config.training_slices.indices);
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
});
