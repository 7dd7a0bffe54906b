// The niivue boundary's contract, run against the installed niivue: the version it was checked
// against, every internal of its table there with the shape it is used with, and the plain path
// giving the scan the fast path gives. A niivue upgrade that moves an internal fails here.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Niivue } from "@niivue/niivue";
import type { Mat4, Volume } from "../../../core/volume/types";
import { INTERNALS, missingInternals, NIIVUE_VERSION, plainPathNotice, plainVolumeImage, volumeImage } from "./boundary";

const pkg = (file: string) => JSON.parse(readFileSync(file, "utf8")) as { version: string; dependencies: Record<string, string> };
const source = readFileSync("node_modules/@niivue/niivue/build/niivue/index.js", "utf8");
/** A function's parameter names, from its source (the installed build is not minified). */
const params = (f: unknown) =>
  /^[^(]*\(([^)]*)\)/
    .exec(String(f))![1]
    .split(",")
    .map((p) => p.split("=")[0].trim())
    .filter(Boolean);
/** The arguments of each call of `callee` in niivue's source, split at the top level. */
function calls(callee: string): string[][] {
  const found: string[][] = [];
  for (let at = source.indexOf(`${callee}(`); at >= 0; at = source.indexOf(`${callee}(`, at + 1)) {
    const args: string[] = [];
    let depth = 0;
    let arg = "";
    for (let i = at + callee.length + 1; ; i++) {
      const c = source[i];
      if (depth === 0 && (c === "," || c === ")")) {
        args.push(arg.trim());
        arg = "";
        if (c === ")") break;
        continue;
      }
      if ("([{".includes(c)) depth++;
      if (")]}".includes(c)) depth--;
      arg += c;
    }
    found.push(args);
  }
  return found;
}

// without a window niivue reads no devicePixelRatio
const niivue = () => new Niivue({ forceDevicePixelRatio: -1 });

describe("the niivue boundary's contract", () => {
  it("was checked against the niivue installed and pinned", () => {
    expect(pkg("node_modules/@niivue/niivue/package.json").version).toBe(NIIVUE_VERSION);
    expect(pkg("package.json").dependencies["@niivue/niivue"]).toBe(NIIVUE_VERSION);
  });

  it("is the app's only import of niivue", () => {
    const files = readdirSync("src", { recursive: true, encoding: "utf8" }).filter((f) => /\.tsx?$/.test(f) && !/\.test\.ts$/.test(f));
    const importers = files.filter((f) => /from "@niivue\/niivue|import\("@niivue\/niivue/.test(readFileSync(`src/${f}`, "utf8")));
    expect(importers).toEqual(["features/viewer/niivue/boundary.ts"]);
  });

  it("finds every internal of its table on niivue (the WebGL context's only where there is one)", () => {
    const missing = missingInternals(niivue(), null);
    expect(missing.map((x) => x.name).sort()).toEqual(INTERNALS.filter((x) => x.on === "WebGL2").map((x) => x.name).sort());
    for (const x of INTERNALS) expect(x.why.length, x.name).toBeGreaterThan(40);
  });

  it("notices an internal gone, and tells the user what is lost", () => {
    const nv = niivue() as unknown as Record<string, unknown>;
    delete nv.drawTexture;
    expect(missingInternals(nv as unknown as Niivue, null).map((x) => x.name)).toContain("drawTexture");
    const canvasPos2frac = INTERNALS.find((x) => x.name === "canvasPos2frac")!;
    const notice = plainPathNotice([canvasPos2frac])!;
    expect(notice).toContain(NIIVUE_VERSION);
    expect(notice).toContain("no readout under the mouse");
    expect(plainPathNotice([])).toBeNull();
  });

  it("calls niivue's positional methods with their parameters in the order it was written for", () => {
    const nv = niivue();
    // NVImage.init's 20 positional arguments (volumeImage), the image type NII of its unexported enum
    expect(params(volumeImage({ dims: [2, 2, 2], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data: new Uint8Array(8) }, { name: "t" }).init)).toEqual(
      ["dataBuffer", "name", "colormap", "opacity", "_pairedImgData", "cal_min", "cal_max", "trustCalMinMax", "percentileFrac", "ignoreZeroVoxels", "useQFormNotSForm", "colormapNegative", "frame4D", "imageType", "cal_minNeg", "cal_maxNeg", "colorbarVisible", "colormapLabel", "colormapType", "imgRaw"],
    );
    expect(source).toMatch(/\["NII"\] = 1\]/);
    // init asks calMinMax for the window with no arguments, the only way it is replaced
    expect(/\n {2}init\([\s\S]*?\n {2}}\n/.exec(source)![0]).toContain("this.calMinMax();");
    expect(params(nv.rgbaTex)).toEqual(["texID", "activeID", "dims", "isInit"]);
    expect(params(nv.r8Tex)).toEqual(["texID", "activeID", "dims", "isInit"]);
    expect(params(nv.frac2mm)).toEqual(["frac", "volIdx", "isForceSliceMM"]);
    expect(params(nv.mm2frac)).toEqual(["mm", "volIdx", "isForceSliceMM"]);
    expect(params(nv.canvasPos2frac)).toEqual(["canvasPos"]);
    expect(nv.scene.crosshairPos).toHaveLength(3);
  });

  it("uploads the drawing on the texture unit the slab uploads bind (TEXTURE7)", () => {
    expect(source).toMatch(/TEXTURE7_DRAW: 33991,/);
  });

  it("uploads volumes as the staged upload recognises them: the source 11th, no offset", () => {
    const uploads = calls("gl.texSubImage3D");
    expect(uploads.length).toBeGreaterThan(5);
    for (const args of uploads) expect(args, args.join(", ")).toHaveLength(11);
  });

  it("asks whether a framebuffer is complete only to log or skip, which the stub answers 'complete'", () => {
    const uses = [...source.matchAll(/const status = gl\.checkFramebufferStatus\(gl\.FRAMEBUFFER\);\n\s*if \(status !== gl\.FRAMEBUFFER_COMPLETE\) \{\n\s*(.*)\n/g)];
    expect(uses.length).toBe(calls("checkFramebufferStatus").length);
    for (const use of uses) expect(use[1]).toMatch(/^(log\.error|console\.warn)\(/);
  });

  it("gives the scan the same image on the plain path as on the fast one", async () => {
    const c = Math.cos(0.3);
    const s = Math.sin(0.3);
    const affine: Mat4 = [-1, 0, 0, 20, 0, c * 1.5, -s * 2, -10, 0, s * 1.5, c * 2, 5, 0, 0, 0, 1];
    const vol: Volume = { dims: [5, 4, 3], affine, data: Int16Array.from({ length: 60 }, (_, n) => (n * 37) % 101) };
    const fast = volumeImage(vol, { name: "scan" });
    const plain = await plainVolumeImage(vol, { name: "scan" });
    expect(plain.dims).toEqual(fast.dims);
    expect(plain.permRAS).toEqual(fast.permRAS);
    expect(plain.oblique_angle).toBeCloseTo(fast.oblique_angle ?? 0, 4);
    expect(Array.from(plain.img!)).toEqual(Array.from(fast.img!));
    expect([plain.cal_min, plain.cal_max]).toEqual([fast.cal_min, fast.cal_max]);
    for (let i = 0; i < 16; i++) expect((plain.matRAS as unknown as number[])[i]).toBeCloseTo((fast.matRAS as unknown as number[])[i], 5);
  });
});
