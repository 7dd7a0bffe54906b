import { copyFile, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModel, ManifestError, parseManifest } from "../core/manifest";
import { ROOT } from "../test/cli";
import { readBytes, readModel, resolveAdapter, startRunner } from "./common";
import { classify, RuntimeError } from "./errors";
import { modelFolderReader } from "./model-folder";

// Issue 24 part 1: --model reads only files that are really inside the model folder. A symbolic
// link out of it is refused by the manifest field, before its target is read or hashed.
const TUMOUR = join(ROOT, "models/siteseg-tumour");
const TISSUE = join(ROOT, "public/models/siteseg-tissue");

let tmp = "";
beforeAll(async () => {
  tmp = await realpath(await mkdtemp(join(tmpdir(), "siteseg-folder-")));
  // elsewhere/: the model's real files, outside any model folder
  await mkdir(join(tmp, "elsewhere/spm152"), { recursive: true });
  await copyFile(join(TUMOUR, "model.onnx"), join(tmp, "elsewhere/model.onnx"));
  for (const f of ["adapter_config.json", "adapter_model.safetensors"]) await copyFile(join(TISSUE, "adapters/spm152", f), join(tmp, "elsewhere/spm152", f));
  // leaky/: the tumour manifest, its model.onnx a link out of the folder (checksum matching)
  await mkdir(join(tmp, "leaky"));
  await copyFile(join(TUMOUR, "manifest.json"), join(tmp, "leaky/manifest.json"));
  await symlink("../elsewhere/model.onnx", join(tmp, "leaky/model.onnx"));
  // tidy/: model.onnx a link to a file inside the folder; reached through a linked folder
  await mkdir(join(tmp, "tidy/weights"), { recursive: true });
  await copyFile(join(TUMOUR, "manifest.json"), join(tmp, "tidy/manifest.json"));
  await copyFile(join(TUMOUR, "model.onnx"), join(tmp, "tidy/weights/model.onnx"));
  await symlink("weights/model.onnx", join(tmp, "tidy/model.onnx"));
  await symlink("tidy", join(tmp, "current"));
  // adapters/: the tissue manifest, a shipped adapter's folder a link out
  await mkdir(join(tmp, "adapters/adapters"), { recursive: true });
  await copyFile(join(TISSUE, "manifest.json"), join(tmp, "adapters/manifest.json"));
  await symlink(join(tmp, "elsewhere/spm152"), join(tmp, "adapters/adapters/spm152"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("a model folder on disk", () => {
  it("refuses a model file linked from outside, naming the field, before reading it", async () => {
    const read: string[] = [];
    const spy = (p: string) => (read.push(p), readBytes(p, "model file"));
    const message = `files.model.path: "model.onnx" lies outside the model folder (it leads to ${join(tmp, "elsewhere/model.onnx")})`;
    await expect(loadModel(modelFolderReader(join(tmp, "leaky"), spy))).rejects.toThrow(message);
    expect(read).toEqual([join(tmp, "leaky/manifest.json")]);
    const e = await readModel(join(tmp, "leaky")).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ManifestError);
    expect(classify(e)).toEqual({ code: 1, message, known: true });
  });

  it("follows links that stay inside, and a model folder that is itself a link", async () => {
    const { manifest, onnx } = await readModel(join(tmp, "current"));
    expect(manifest.id).toBe("siteseg-tumour");
    expect(Buffer.compare(onnx, await readFile(join(TUMOUR, "model.onnx")))).toBe(0);
  });

  it("refuses a shipped adapter whose folder links out of the model folder", async () => {
    const manifest = parseManifest(JSON.parse(await readFile(join(tmp, "adapters/manifest.json"), "utf8")));
    const index = manifest.adapters.shipped.findIndex((a) => a.name === "spm152");
    const e = await resolveAdapter("spm152", join(tmp, "adapters"), manifest).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RuntimeError);
    expect((e as Error).message).toMatch(new RegExp(`^--adapter spm152: adapters\\.shipped\\.${index}\\.path: "adapters/spm152/adapter_(config\\.json|model\\.safetensors)" lies outside the model folder \\(it leads to ${tmp}/elsewhere/spm152/`));
  });

  it("refuses a model whose graph gives another number of classes than the manifest lists, naming the field (not onnxruntime's error)", async () => {
    const dir = join(tmp, "classes");
    await mkdir(dir);
    const m = JSON.parse(await readFile(join(TUMOUR, "manifest.json"), "utf8"));
    m.classes.push({ index: 3, name: "necrosis", color: [0, 0, 255] });
    await writeFile(join(dir, "manifest.json"), JSON.stringify(m));
    await copyFile(join(TUMOUR, "model.onnx"), join(dir, "model.onnx"));
    const e = await startRunner(dir, await readModel(dir), 1).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RuntimeError);
    expect((e as Error).message).toBe(`${dir}: manifest.json does not match model.onnx — classes: "logits" of model.onnx has shape [batch, 3, height, width], but the manifest's 4 classes need one channel each: [any, 4, any, any]`);
  });
});
