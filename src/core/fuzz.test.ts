import fc from "fast-check";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { AdapterError, loadAdapter, parseAdapterConfig, readSafetensors } from "./adapters";
import { readVolume, writeMgh, writeNifti } from "./io";
import { ManifestError, parseManifest } from "./manifest";
import { VolumeError } from "./volume/types";

// Issue 12 part 8: any input to a reader or parser ends in a typed error or a valid result, never
// an uncaught exception or a hang. Bounded for CI (FUZZ_RUNS, default 150 per property); a longer
// run: FUZZ_RUNS=20000 npx vitest run src/core/fuzz.test.ts
const runs = Number(process.env.FUZZ_RUNS ?? 150);
const root = resolve(import.meta.dirname, "../..");
const manifestText = readFileSync(resolve(root, "public/models/siteseg-tissue/manifest.json"), "utf8");
const manifest = parseManifest(JSON.parse(manifestText));
const adapterDir = resolve(root, "public/models/siteseg-tissue/adapters/synth-pd");
const adapterConfig = new Uint8Array(readFileSync(resolve(adapterDir, "adapter_config.json")));
const adapterWeights = new Uint8Array(readFileSync(resolve(adapterDir, "adapter_model.safetensors")));

const small = { dims: [5, 4, 3] as [number, number, number], affine: [1.5, 0, 0, -3, 0, 1, 0, -2, 0, 0, 2, -1, 0, 0, 0, 1], data: Float32Array.from({ length: 60 }, (_, i) => i * 0.5) };
const seeds: Record<string, Uint8Array> = {
  "scan.nii": writeNifti(small, { gzip: false }),
  "scan.nii.gz": writeNifti(small, { gzip: true }),
  "scan.mgh": writeMgh(small, { gzip: false }),
  "scan.mgz": writeMgh(small, { gzip: true }),
};

/** Valid bytes with a few bytes overwritten, a piece cut off, or junk appended. */
const mutated = (seed: Uint8Array) =>
  fc.oneof(
    fc.array(fc.tuple(fc.nat({ max: seed.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((edits) => {
      const b = seed.slice();
      for (const [i, v] of edits) b[i] = v;
      return b;
    }),
    fc.nat({ max: seed.length }).map((n) => seed.slice(0, n)),
    fc.uint8Array({ maxLength: 64 }).map((junk) => Uint8Array.from([...seed, ...junk])),
  );

/** Runs `read` and accepts only a result (checked by `valid`) or one of the typed errors. */
function typedOrValid<T>(read: () => T, errors: (new (...a: never[]) => Error)[], valid: (r: T) => void = () => undefined) {
  let r: T;
  try {
    r = read();
  } catch (e) {
    if (errors.some((E) => e instanceof E)) return;
    throw e;
  }
  valid(r);
}

const validVolume = (v: ReturnType<typeof readVolume>) => {
  expect(v.dims.every((n) => Number.isInteger(n) && n >= 1)).toBe(true);
  expect(v.data.length).toBe(v.dims[0] * v.dims[1] * v.dims[2]);
  expect(v.affine.every(Number.isFinite)).toBe(true);
};

describe("fuzzed readers and parsers", () => {
  it.each(Object.keys(seeds))("volume reader: mutated %s", (name) => {
    fc.assert(fc.property(mutated(seeds[name]), (bytes) => typedOrValid(() => readVolume(bytes, name), [VolumeError], validVolume)), { numRuns: runs });
  });

  it("volume reader: random bytes under any name", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.constantFrom("a.nii", "a.nii.gz", "a.mgh", "a.mgz", "a.bin"), (bytes, name) => typedOrValid(() => readVolume(bytes, name), [VolumeError], validVolume)),
      { numRuns: runs },
    );
  });

  it("manifest parser: any JSON value, and the real manifest with one field replaced", () => {
    fc.assert(fc.property(fc.jsonValue(), (json) => typedOrValid(() => parseManifest(json), [ManifestError])), { numRuns: runs });
    const base = JSON.parse(manifestText);
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(base)), fc.jsonValue(), (key, value) => typedOrValid(() => parseManifest({ ...base, [key]: value }), [ManifestError])),
      { numRuns: runs },
    );
  });

  it("adapter config parser and safetensors reader: mutated files, and the two together", () => {
    fc.assert(fc.property(mutated(adapterConfig), (bytes) => typedOrValid(() => parseAdapterConfig(bytes), [AdapterError])), { numRuns: runs });
    fc.assert(fc.property(mutated(adapterWeights), (bytes) => typedOrValid(() => readSafetensors(bytes), [AdapterError])), { numRuns: runs });
    fc.assert(fc.property(mutated(adapterWeights), (bytes) => typedOrValid(() => loadAdapter("fuzz", adapterConfig, bytes, manifest), [AdapterError])), { numRuns: runs });
  });
});
