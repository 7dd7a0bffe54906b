import fc from "fast-check";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix, relative, resolve, sep } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { RuntimeError } from "../../cli/errors";
import { modelFolderReader } from "../../cli/model-folder";
import { modelFileReader } from "../../runtime/model-source";
import { checkGraphNames, loadModel, loadTrainStep, ManifestError, parseManifest, readChecked, readShippedAdapter, sha256Hex, type GraphInfo, type ReadModelFile } from ".";

// Issue 24 part 1: the model-folder loader (manifest, model, training graph, shipped adapters)
// under random and mutated manifests and paths, through the app's readers (opened files, a served
// folder) and the CLI's (a folder on disk, with symbolic links in and out): a typed ManifestError or
// a valid model, never another exception, and never a read outside the folder. Bounded for CI
// (FUZZ_RUNS, default 100 per property); a longer run: FUZZ_RUNS=5000 npx vitest run src/core/manifest/folder-fuzz.test.ts
const runs = Number(process.env.FUZZ_RUNS ?? 100);
const root = resolve(import.meta.dirname, "../../..");
const base = JSON.parse(readFileSync(resolve(root, "public/models/siteseg-tissue/manifest.json"), "utf8"));

/** Every file of the folder holds these bytes, and the manifest's checksums all say so: any read inside can succeed. */
const bytes = new Uint8Array([1, 2, 3, 4]);
let sha = "";
const folderFiles = ["model.onnx", "train_step.onnx", "sub/model.onnx", ...base.adapters.shipped.flatMap((a: { path: string }) => [`${a.path}/adapter_config.json`, `${a.path}/adapter_model.safetensors`])];
let manifest: typeof base;

/** Inside the folder, by a judge independent of folderPath: a plain relative path, and a URL that stays under the folder's. */
const BASE_URL = "http://localhost/models/m/";
const inside = (p: string) => !p.startsWith("/") && !/[\\%?#:]/.test(p) && posix.normalize(p) === p && !p.split("/").includes("..") && new URL(p, BASE_URL).href.startsWith(BASE_URL);

/** Paths as hostile manifests write them: pieces that climb, escape, encode or look like schemes. */
const piece = fc.constantFrom("..", ".", "", "model.onnx", "sub", "adapters", "spm152", "train_step.onnx", "%2e%2e", "%2E.", ".%2e", "..\\", "\\", "C:", "https:", "file:", "//x", "?", "#", "%", "\u0000", "__proto__", "constructor", "toString", " ", "...");
const hostilePath = fc.oneof(
  fc.array(piece, { maxLength: 6 }).map((ps) => ps.join("/")),
  fc.array(piece, { maxLength: 6 }).map((ps) => ps.join("")),
  fc.string({ maxLength: 24 }),
);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests as parsed JSON, broken on purpose
type Json = any;
const clone = (v: unknown): Json => JSON.parse(JSON.stringify(v));

/** Every place in a JSON value (its own included), as key paths. */
const places = (v: unknown, at: (string | number)[] = []): (string | number)[][] =>
  v && typeof v === "object" ? [at, ...Object.entries(v).flatMap(([k, x]) => places(x, [...at, Array.isArray(v) ? Number(k) : k]))] : [at];

/** The manifest with the value at `at` replaced (undefined: deleted). */
function replaced(m: unknown, at: (string | number)[], value: unknown): Json {
  if (!at.length) return value;
  const out = clone(m);
  let node = out;
  for (const k of at.slice(0, -1)) node = node[k];
  if (value === undefined) delete node[at[at.length - 1]];
  else node[at[at.length - 1]] = value;
  return out;
}

/**
 * The app's "opened files" reader over the folder, recording what it is asked for. A path it is
 * asked for outside the folder is a failure of the loader, whatever the reader then answers.
 */
function openedFolder(manifestBytes: Uint8Array) {
  const asked: string[] = [];
  const files = Object.fromEntries([["manifest.json", manifestBytes], ...folderFiles.map((f) => [f, bytes])].map(([p, b]) => [p, { arrayBuffer: async () => (b as Uint8Array).slice().buffer as ArrayBuffer }]));
  const read = modelFileReader({ kind: "files", files });
  return { asked, read: (async (p) => (asked.push(p), read(p))) as ReadModelFile };
}

/** Runs the whole loader as the app and the CLI do; only ManifestError may come out of it. */
async function loadAll(read: ReadModelFile, graph?: GraphInfo): Promise<void> {
  try {
    const { manifest: m } = await loadModel(read);
    if (graph) checkGraphNames(m, graph);
    if (m.files.trainStep) await loadTrainStep(read, m);
    for (const a of m.adapters.shipped) await readShippedAdapter(read, m, a.name);
  } catch (e) {
    if (!(e instanceof ManifestError)) throw e;
  }
}

/** The base model's graph as onnxruntime describes it (names and shapes), for the shape checks. */
const graphOf = (m: Json): GraphInfo => {
  const R = m.adapters.maxRank;
  const slots = m.adapters.slots as { inputA: string; inputB: string; inFeatures: number; outFeatures: number; kernel?: number[] }[];
  return {
    inputNames: [m.input.inputName, ...slots.flatMap((s) => [s.inputA, s.inputB])],
    outputNames: [m.input.outputName],
    inputMetadata: [
      { name: m.input.inputName, isTensor: true, type: "float32", shape: ["batch", 2 * m.input.contextSlices + 1, "height", "width"] },
      ...slots.flatMap((s) => [
        { name: s.inputA, isTensor: true, type: "float32", shape: [R, s.inFeatures, ...(s.kernel ?? [])] },
        { name: s.inputB, isTensor: true, type: "float32", shape: s.kernel ? [s.outFeatures, R, 1, 1] : [s.outFeatures, R] },
      ]),
    ],
    outputMetadata: [{ name: m.input.outputName, isTensor: true, type: "float32", shape: ["batch", m.classes.length, "height", "width"] }],
  };
};

const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

beforeAll(async () => {
  sha = await sha256Hex(bytes);
  manifest = clone(base);
  manifest.files.model = { path: "model.onnx", sha256: sha, bytes: bytes.length };
  manifest.files.trainStep = { path: "train_step.onnx", sha256: sha, bytes: bytes.length };
  for (const a of manifest.adapters.shipped) a.files = { config: { sha256: sha, bytes: bytes.length }, weights: { sha256: sha, bytes: bytes.length } };
});

describe("fuzzed model folders", () => {
  it("the base folder loads whole (the properties below start from a valid model)", async () => {
    const { read, asked } = openedFolder(encode(manifest));
    const { manifest: m } = await loadModel(read);
    checkGraphNames(m, graphOf(manifest));
    await loadTrainStep(read, m);
    for (const a of m.adapters.shipped) await readShippedAdapter(read, m, a.name);
    expect(asked.every(inside)).toBe(true);
    expect(asked).toHaveLength(2 + 2 * m.adapters.shipped.length + 1);
  });

  it("hostile paths in files.model, files.trainStep and a shipped adapter: refused or read inside", async () => {
    const fields = [["files", "model", "path"], ["files", "trainStep", "path"], ["adapters", "shipped", 0, "path"]];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...fields), hostilePath, async (at, path) => {
        const { read, asked } = openedFolder(encode(replaced(manifest, at, path)));
        await loadAll(read, graphOf(manifest));
        expect(asked.filter((p) => !inside(p))).toEqual([]);
      }),
      { numRuns: runs },
    );
  });

  it("a manifest with any one value replaced or deleted, or its text mutated: ManifestError or a valid model, reads inside", async () => {
    const all = places(manifest);
    const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), hostilePath, fc.constant(undefined), fc.double(), fc.integer({ min: -3, max: 300 }));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...all), value, async (at, v) => {
        const m = replaced(manifest, at, v);
        const { read, asked } = openedFolder(encode(m === undefined ? null : m));
        await loadAll(read, graphOf(manifest));
        expect(asked.filter((p) => !inside(p))).toEqual([]);
      }),
      { numRuns: runs },
    );
    const text = encode(manifest);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat({ max: text.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), async (edits) => {
        const b = text.slice();
        for (const [i, v] of edits) b[i] = v;
        const { read, asked } = openedFolder(b);
        await loadAll(read, graphOf(manifest));
        expect(asked.filter((p) => !inside(p))).toEqual([]);
      }),
      { numRuns: runs },
    );
  });

  it("the manifest's graph fields against the base graph: ManifestError or a match", () => {
    const numbers = places(manifest).filter((at) => ["input", "classes", "adapters"].includes(at[0] as string));
    fc.assert(
      fc.property(fc.constantFrom(...numbers), fc.oneof(fc.integer({ min: -2, max: 40 }), fc.string({ maxLength: 8 })), (at, v) => {
        let m;
        try {
          m = parseManifest(replaced(manifest, at, v));
        } catch (e) {
          if (e instanceof ManifestError) return;
          throw e;
        }
        try {
          checkGraphNames(m, graphOf(manifest));
        } catch (e) {
          if (!(e instanceof ManifestError)) throw e;
        }
      }),
      { numRuns: runs },
    );
  });

  it("a path handed straight to readChecked (no schema): refused, or read inside", async () => {
    await fc.assert(
      fc.asyncProperty(hostilePath, async (path) => {
        const { read, asked } = openedFolder(encode(manifest));
        try {
          await readChecked(read, { path, sha256: sha }, "files.model.path");
        } catch (e) {
          if (!(e instanceof ManifestError)) throw e;
        }
        expect(asked.filter((p) => !inside(p))).toEqual([]);
      }),
      { numRuns: runs },
    );
  });

  it("a served folder (the app's shipped models): nothing fetched outside it", async () => {
    const fetched: string[] = [];
    let served = encode(manifest);
    vi.stubGlobal("fetch", async (url: string) => (fetched.push(url), new Response((url === `${BASE_URL}manifest.json` ? served : bytes) as Uint8Array<ArrayBuffer>)));
    try {
      const fields = [["files", "model", "path"], ["files", "trainStep", "path"], ["adapters", "shipped", 0, "path"]];
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...fields), hostilePath, async (at, path) => {
          fetched.length = 0;
          served = encode(replaced(manifest, at, path));
          await loadAll(modelFileReader({ kind: "url", baseUrl: BASE_URL }));
          expect(fetched.filter((u) => !u.startsWith(BASE_URL))).toEqual([]);
        }),
        { numRuns: runs },
      );
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

/** A model folder on disk with links that stay in and links that lead out (the CLI's --model). */
describe("fuzzed paths in a model folder on disk", () => {
  let tmp = "";
  let dir = "";
  beforeAll(async () => {
    tmp = await realpath(await mkdtemp(join(tmpdir(), "siteseg-fuzz-")));
    dir = join(tmp, "model");
    await mkdir(join(dir, "sub"), { recursive: true });
    await mkdir(join(tmp, "out"));
    for (const f of ["model.onnx", "sub/model.onnx", "../secret.onnx", "../out/model.onnx"]) await writeFile(join(dir, f), bytes);
    await symlink("sub", join(dir, "in-dir"));
    await symlink("sub/model.onnx", join(dir, "in.onnx"));
    await symlink("../secret.onnx", join(dir, "out.onnx"));
    await symlink("../out", join(dir, "out-dir"));
    await symlink(join(tmp, "out"), join(dir, "sub/abs-out"));
    await symlink("nowhere", join(dir, "dangling.onnx"));
    await symlink("loop", join(dir, "loop"));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it("any path: the bytes of a file really inside, or a ManifestError, or a RuntimeError (missing) — never a read outside", async () => {
    const names = fc.constantFrom("..", ".", "model.onnx", "sub", "in-dir", "in.onnx", "out.onnx", "out-dir", "abs-out", "dangling.onnx", "loop", "secret.onnx", "%2e%2e", "..\\");
    const readOutside: string[] = [];
    const readBytes = async (p: string) => {
      const real = await realpath(p).catch(() => p);
      const rel = relative(dir, real);
      if (rel.startsWith(`..${sep}`) || rel === "..") readOutside.push(p);
      try {
        return new Uint8Array(readFileSync(p));
      } catch (e) {
        throw new RuntimeError(`cannot read model file ${p}: ${(e as NodeJS.ErrnoException).code}`);
      }
    };
    await fc.assert(
      fc.asyncProperty(fc.array(names, { minLength: 1, maxLength: 4 }), async (parts) => {
        const read = modelFolderReader(dir, readBytes);
        try {
          await readChecked(read, { path: parts.join("/"), sha256: sha }, "files.model.path");
        } catch (e) {
          if (!(e instanceof ManifestError || e instanceof RuntimeError)) throw e;
        }
        expect(readOutside).toEqual([]);
      }),
      { numRuns: runs },
    );
  });
});
