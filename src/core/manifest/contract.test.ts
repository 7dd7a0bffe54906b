import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_SAMPLE } from "../preprocess/normalise";
import { parseManifest } from "./schema";

// training/contract.json is what training synthesises, monitors and exports against; every shipped
// manifest (what the app reads) must say the same, so neither side drifts alone.
const root = resolve(import.meta.dirname, "../../..");
const contract = JSON.parse(readFileSync(resolve(root, "training/contract.json"), "utf8"));
const shipped = { tissue: "public/models/siteseg-tissue/manifest.json", tumour: "models/siteseg-tumour/manifest.json" } as const;

describe("the training contract and the shipped manifests", () => {
  it.each(Object.entries(shipped))("%s: input grid, normalisation, classes, conventions and inference options as the contract says", (task, path) => {
    const manifest = parseManifest(JSON.parse(readFileSync(resolve(root, path), "utf8")));
    const t = contract.tasks[task];
    expect(manifest.input).toMatchObject(contract.input);
    expect(manifest.preprocess).toEqual(contract.preprocess);
    expect(manifest.name).toBe(t.name);
    expect(manifest.description).toBe(t.description);
    expect(manifest.classes.map(({ name, color }) => ({ name, color }))).toEqual(t.classes);
    expect(manifest.labelConventions).toEqual(t.labelConventions);
    expect(manifest.inference.options).toEqual(t.inference?.options ?? []);
  });

  it("percentiles are sampled alike in training and in the app", () => {
    expect(contract.percentileMaxSample).toBe(MAX_SAMPLE);
  });
});
