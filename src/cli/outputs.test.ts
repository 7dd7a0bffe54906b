import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classVolumes } from "../core/export";
import { readVolume, writeNifti } from "../core/io";
import { voxelBytes } from "../core/io/bytes";
import { studyJson, type CaseResult } from "../core/study";
import type { Volume } from "../core/volume/types";
import { BIN, ROOT, siteseg as run, type Run } from "../test/cli";
import { writeOutputs } from "./outputs";

// Issue 24 parts 5-7 through the command line: where the commands write (checked before any
// work, written whole or not at all), the mask's provenance record, merge's and --shard's
// refusals, and the warning for a reference mostly unknown to its convention. Small scans only:
// the model runs on a 32×32×8 scan or a 96×96×6 crop in about a second.
const SLOW = 120_000;
const siteseg = (...args: string[]) => run(args, SLOW);
const MODEL_DIR = join(ROOT, "public/models/siteseg-tissue");
const haveModel = existsSync(join(MODEL_DIR, "manifest.json"));
const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");
const eye = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

let tmp = "";
let scan = "";
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "siteseg-outputs-"));
  scan = join(tmp, "flat.nii");
  const data = Float32Array.from({ length: 32 * 32 * 8 }, (_, i) => (i % 32 > 8 && i % 32 < 24 ? 100 : 0));
  await writeFile(scan, writeNifti({ dims: [32, 32, 8], affine: eye, data }, { gzip: false }));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** The files of a folder, hidden ones (a write's temporary files) included. */
const listing = async (dir: string) => (await readdir(dir)).sort();

describe("outputs are checked before any work (issue 24 part 5)", () => {
  it("segment refuses --out naming its scan, also through a link, and leaves the scan as it was", async () => {
    const before = await readFile(scan);
    const same = await siteseg("segment", "--image", scan, "--out", scan);
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(new RegExp(`^siteseg: --out ${scan} is the input ${scan}: writing there would replace it; choose another name\\n`));
    const link = join(tmp, "link.nii");
    await symlink(scan, link);
    const linked = await siteseg("segment", "--image", scan, "--out", link, "--no-provenance");
    expect(linked.code).toBe(2);
    expect(linked.stderr).toContain(`--out ${link} is the input ${scan}`);
    // the provenance record beside the mask may not land on an input either (here: the model's manifest)
    const overManifest = await siteseg("segment", "--image", scan, "--out", join(MODEL_DIR, "manifest.nii.gz"));
    expect(overManifest.code).toBe(2);
    expect(overManifest.stderr).toContain(`--out's provenance record ${join(MODEL_DIR, "manifest.json")} is the input ${join(MODEL_DIR, "manifest.json")}`);
    expect(Buffer.compare(await readFile(scan), before)).toBe(0);
    expect(`${same.stderr}${linked.stderr}`).not.toMatch(/slices on cpu/);
  });

  it("refuses an output folder that does not exist, or a folder as the output file, before the run (exit 1)", async () => {
    const missing = join(tmp, "no-such-folder", "mask.nii.gz");
    const r = await siteseg("segment", "--image", scan, "--out", missing);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`siteseg: --out ${missing}: the folder ${join(tmp, "no-such-folder")} does not exist; create it first (nothing was run)\n`);
    const study = await siteseg("study", join(ROOT, "public/samples"), "--csv", join(tmp, "nowhere", "t.csv"));
    expect(study.code).toBe(1);
    expect(study.stderr).toBe(`siteseg: --csv ${join(tmp, "nowhere", "t.csv")}: the folder ${join(tmp, "nowhere")} does not exist; create it first (nothing was run)\n`);
    const folder = join(tmp, "a-folder.csv");
    await mkdir(folder, { recursive: true });
    const isFolder = await siteseg("merge", join(tmp, "x.json"), "--csv", folder);
    expect(isFolder.code).toBe(1);
    expect(isFolder.stderr).toBe(`siteseg: --csv ${folder} is a folder: give a file name (nothing was run)\n`);
    // adapt makes its folder, in a folder that must exist: refused before the model is read or trained
    const adapter = join(tmp, "no-such-parent", "site");
    const adapt = await siteseg("adapt", "--image", scan, "--label", scan, "--out", adapter);
    expect(adapt.code).toBe(1);
    expect(adapt.stderr).toBe(`siteseg: --out ${adapter}: the folder ${join(tmp, "no-such-parent")} does not exist; create it first (nothing was run)\n`);
  });

  it("study refuses an output over its case list or a case's file; merge one over a shard or two outputs on one file", async () => {
    const dir = join(tmp, "list");
    await mkdir(dir, { recursive: true });
    const list = join(dir, "cases.csv");
    const text = "image,label,site\nflat.nii,flat_seg.nii,A\n";
    await writeFile(list, text);
    await writeFile(join(dir, "flat.nii"), await readFile(scan));
    const overList = await siteseg("study", list, "--cases-csv", list);
    expect(overList.code).toBe(2);
    expect(overList.stderr).toMatch(new RegExp(`^siteseg: --cases-csv ${list} is the input ${list}: writing there would replace it`));
    const overCase = await siteseg("study", list, "--json", join(dir, "flat.nii"), "--threads", "1");
    expect(overCase.code).toBe(2);
    expect(overCase.stderr).toContain(`--json ${join(dir, "flat.nii")} is the input ${join(dir, "flat.nii")}`);
    expect(await readFile(list, "utf8")).toBe(text);
    const shard = join(tmp, "shard.json");
    await writeFile(shard, "{}");
    const overShard = await siteseg("merge", shard, "--json", shard);
    expect(overShard.code).toBe(2);
    expect(overShard.stderr).toMatch(new RegExp(`^siteseg: --json ${shard} is the input ${shard}`));
    const twice = await siteseg("merge", shard, "--json", join(tmp, "m.out"), "--csv", join(tmp, "m.out"));
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(new RegExp(`^siteseg: --json and --csv both name ${join(tmp, "m.out")}: give each output its own file`));
    expect(await readFile(shard, "utf8")).toBe("{}");
  });
});

describe("writeOutputs: every file whole, or none (issue 24 part 5)", () => {
  it("writes through a link, keeps a replaced file's permissions, and on a failure writes none of the files and leaves no temporary one", async () => {
    const dir = join(tmp, "whole");
    await mkdir(dir, { recursive: true });
    const a = join(dir, "a.csv"), b = join(dir, "b.json"), target = join(dir, "target.json"), link = join(dir, "link.json");
    await writeFile(a, "old a\n");
    await chmod(a, 0o640);
    await writeFile(target, "old target\n");
    await symlink(target, link);
    await writeOutputs([{ path: a, data: "new a\n" }, { path: link, data: new TextEncoder().encode("new target\n") }, { path: b, data: "b\n" }]);
    expect(await Promise.all([a, target, b].map((f) => readFile(f, "utf8")))).toEqual(["new a\n", "new target\n", "b\n"]);
    expect((await stat(a)).mode & 0o777).toBe(0o640);
    expect(await listing(dir)).toEqual(["a.csv", "b.json", "link.json", "target.json"]);
    // the third file cannot be written (its folder is gone): the first two keep their old content
    await expect(writeOutputs([{ path: a, data: "newer a\n" }, { path: b, data: "newer b\n" }, { path: join(dir, "gone", "c.csv"), data: "c" }])).rejects.toThrow(`cannot write ${join(dir, "gone", "c.csv")}: no such file or directory`);
    expect(await Promise.all([a, b].map((f) => readFile(f, "utf8")))).toEqual(["new a\n", "b\n"]);
    expect(await listing(dir)).toEqual(["a.csv", "b.json", "link.json", "target.json"]);
  });
});

describe.skipIf(!haveModel || process.platform === "win32")("outputs are written whole or not at all (issue 24 part 5)", () => {
  it("a write that fails (a file-size limit) keeps the file that was there and leaves no partial or temporary file", async () => {
    const dir = join(tmp, "limited");
    await mkdir(dir, { recursive: true });
    const mask = join(dir, "mask.nii");
    await writeFile(mask, "the mask of yesterday\n");
    // ulimit -f 1: no file over 1 KiB; the 32×32×8 mask is 8 KiB (before, it was cut there: a 1 KiB partial mask)
    const r = await new Promise<Run>((done) =>
      execFile("bash", ["-c", 'ulimit -f 1 && exec "$0" "$@"', process.execPath, BIN, "segment", "--image", scan, "--out", mask, "--threads", "1"], { cwd: ROOT, timeout: SLOW }, (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }),
      ),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`siteseg: cannot write ${mask}: the file is larger than this disk or process allows\n`);
    expect(await readFile(mask, "utf8")).toBe("the mask of yesterday\n");
    expect(await listing(dir)).toEqual(["mask.nii"]);
  });
});

describe.skipIf(!haveModel)("segment writes the app's provenance record beside the mask (issue 24 part 5)", () => {
  it("the same record as the app's Save mask: model, adapter, options, input and mask sha256, timings, versions; --no-provenance writes none", async () => {
    const dir = join(tmp, "prov");
    await mkdir(dir, { recursive: true });
    const mask = join(dir, "flat_mask.nii.gz");
    const r = await siteseg("segment", "--image", scan, "--out", mask, "--adapter", "synth-pd", "--threads", "1", "--json");
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.provenance).toBe(join(dir, "flat_mask.json"));
    expect(await listing(dir)).toEqual(["flat_mask.json", "flat_mask.nii.gz"]);
    const record = JSON.parse(await readFile(out.provenance, "utf8"));
    const manifest = JSON.parse(await readFile(join(MODEL_DIR, "manifest.json"), "utf8"));
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));
    const labels = readVolume(new Uint8Array(await readFile(mask)), mask) as Volume & { data: Uint8Array };
    const shipped = manifest.adapters.shipped.find((a: { name: string }) => a.name === "synth-pd");
    // the keys of core/export maskProvenance, in its order
    expect(Object.keys(record)).toEqual(["kind", "schema_version", "file", "mask_sha256", "date", "app", "input", "model", "adapter", "backend", "inference_options", "timings_ms", "cleanup", "grid", "classes", "corrected_slices"]);
    expect(record).toMatchObject({
      kind: "siteseg-mask", schema_version: 1, file: "flat_mask.nii.gz",
      mask_sha256: sha256(voxelBytes(labels.data, true)),
      app: { name: "siteseg", version: pkg.version },
      input: { name: "flat.nii", sha256: sha256(await readFile(scan)) },
      model: { id: manifest.id, name: manifest.name, version: manifest.version, sha256: manifest.files.model.sha256 },
      adapter: { name: "synth-pd", sha256: shipped.files.weights.sha256 },
      backend: "cpu", inference_options: out.options,
      cleanup: { option: "cleanup", removed: out.cleanup.removed, filled: out.cleanup.filled },
      grid: { dims: [32, 32, 8], affine: eye },
      corrected_slices: [],
    });
    expect(record.classes).toEqual(classVolumes(labels, manifest.classes).map((c) => ({ ...c, ml: Math.round(c.ml * 1000) / 1000 })));
    for (const k of ["preprocess", "inference", "postprocess", "total"]) expect(record.timings_ms[k], k).toBeGreaterThanOrEqual(0);
    expect(Date.now() - Date.parse(record.date)).toBeLessThan(SLOW);

    const bare = join(dir, "bare.nii");
    const none = await siteseg("segment", "--image", scan, "--out", bare, "--no-provenance", "--threads", "1", "--json");
    expect(none.code, none.stderr).toBe(0);
    expect(JSON.parse(none.stdout).provenance).toBeNull();
    expect(await listing(dir)).toEqual(["bare.nii", "flat_mask.json", "flat_mask.nii.gz"]);
  });
});

describe("study --shard and merge say what is wrong (issue 24 part 6)", () => {
  it("--shard -1/3, 0/3, 4/3, 1/0 and a/b: each one line saying what is wrong", async () => {
    const cases: [string, string][] = [
      ["-1/3", 'shard index must be between 1 and 3, got "-1/3"'],
      ["0/3", 'shard index must be between 1 and 3, got "0/3"'],
      ["4/3", 'shard index must be between 1 and 3, got "4/3"'],
      ["1/0", 'shard count must be at least 1, got "1/0"'],
      ["a/b", 'a shard is written I/N (e.g. 2/3: the second of three), got "a/b"'],
    ];
    const runs = await Promise.all(cases.map(([shard]) => siteseg("study", tmp, "--shard", shard)));
    expect(runs.map((r) => [r.code, r.stderr])).toEqual(cases.map(([, message]) => [2, `siteseg: --shard: ${message}\nRun 'siteseg --help' for usage.\n`]));
  });

  it("merge refuses a shard with a Dice outside [0, 1] or a mean that its classes do not give", async () => {
    const res = (id: string, dice: Record<string, number>, meanDice: number): CaseResult => ({ id, site: "A", image: `${id}.nii`, label: `${id}_seg.nii`, convention: "classes", adapter: null, base: { dice, meanDice }, adapted: null, trainedOn: false, error: null });
    const model = { id: "siteseg-tissue", version: "0" };
    const write = async (name: string, cases: CaseResult[], index: number) => {
      const path = join(tmp, name);
      await writeFile(path, JSON.stringify(studyJson(model, ["CSF", "GM", "WM"], cases, { index, count: 2, total: 2 })));
      return path;
    };
    const good = await write("good.json", [res("a", { CSF: 0.5, GM: 0.7, WM: 0.9 }, 0.7)], 1);
    const high = await write("high.json", [res("b", { CSF: 1.5, GM: 0.7, WM: 0.8 }, 1)], 2);
    const r = await siteseg("merge", good, high);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`siteseg: ${high}: case b: the base's Dice of CSF is 1.5, outside [0, 1]: the file was altered or damaged; merge the files siteseg study wrote\n`);
    const mean = await write("mean.json", [res("b", { CSF: 0.5, GM: 0.7, WM: 0.9 }, 0.8)], 2);
    const m = await siteseg("merge", good, mean);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/: case b: the base's mean Dice 0\.8 is not the mean of its classes' Dice \(0\.(7|69{6,})\d*\)/);
    const ok = await siteseg("merge", good, await write("fine.json", [res("b", { CSF: 0.5, GM: 0.7, WM: 0.9 }, (0.5 + 0.7 + 0.9) / 3)], 2));
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("study and merge CSVs neutralise cells a spreadsheet would run", async () => {
    const evil = "=HYPERLINK(\"http://x\",\"y\")";
    const c: CaseResult = { id: `${evil}/1`, site: evil, image: "@x.nii", label: "-y.nii", convention: "classes", adapter: null, base: { dice: { CSF: 0.5, GM: 0.7, WM: 0.9 }, meanDice: 0.7, volumeErrorPct: { CSF: -3, GM: 1, WM: 2 } }, adapted: null, trainedOn: false, error: null };
    const shard = join(tmp, "evil.json");
    await writeFile(shard, JSON.stringify(studyJson({ id: "m", version: "0" }, ["CSF", "GM", "WM"], [c])));
    const csv = join(tmp, "evil.csv"), cases = join(tmp, "evil-cases.csv");
    const r = await siteseg("merge", shard, "--csv", csv, "--cases-csv", cases);
    expect(r.code, r.stderr).toBe(0);
    expect((await readFile(csv, "utf8")).split("\n")[1]).toMatch(/^"'=HYPERLINK\(""http:\/\/x"",""y""\)",1,0,0,,0\.7000,/);
    const row = (await readFile(cases, "utf8")).split("\n")[1];
    expect(row).toMatch(/^"'=HYPERLINK\(""http:\/\/x"",""y""\)\/1","'=HYPERLINK\(""http:\/\/x"",""y""\)",'@x\.nii,'-y\.nii,classes,/);
    expect(row).toContain(",-3.0000,"); // a negative volume error stays a number
  });
});

/** A box of a volume, placed where it was (its affine moved to the box's first voxel). */
function crop(v: Volume, at: [number, number, number], size: [number, number, number]): Volume {
  const [nx, ny] = v.dims;
  const data = new Float32Array(size[0] * size[1] * size[2]);
  let d = 0;
  for (let k = 0; k < size[2]; k++) for (let j = 0; j < size[1]; j++) for (let i = 0; i < size[0]; i++) data[d++] = v.data[at[0] + i + nx * (at[1] + j + ny * (at[2] + k))];
  const a = [...v.affine];
  for (const r of [0, 1, 2]) a[r * 4 + 3] += a[r * 4] * at[0] + a[r * 4 + 1] * at[1] + a[r * 4 + 2] * at[2];
  return { dims: size, affine: a, data };
}

describe.skipIf(!haveModel)("a reference mostly unknown to its convention (issue 24 part 7)", () => {
  it("evaluate --convention gif on a FreeSurfer label warns on stderr and in --json warnings; its own convention does not", async () => {
    const sample = join(ROOT, "public/samples/niivue-t1");
    const read = async (f: string) => readVolume(new Uint8Array(await readFile(join(sample, f))), f);
    const [t1, aseg] = await Promise.all([read("norm.mgz"), read("aparc.a2009s+aseg.mgz")]);
    const image = join(tmp, "t1-crop.nii"), label = join(tmp, "aseg-crop.nii.gz");
    const box: [[number, number, number], [number, number, number]] = [[80, 80, 125], [96, 96, 6]];
    await writeFile(image, writeNifti(crop(t1, ...box), { gzip: false }));
    await writeFile(label, writeNifti(crop(aseg, ...box), { gzip: true }));
    const args = ["evaluate", "--image", image, "--label", label, "--options", "none", "--threads", "1", "--json"];
    const [gif, own] = await Promise.all([siteseg(...args, "--convention", "gif"), siteseg(...args)]);
    expect(gif.code, gif.stderr).toBe(0);
    const warning = /^siteseg: warning: (\d+\.\d)% of the reference's labelled voxels \(labels [\d, ]+( and \d+ more)?\) are unknown to the GIF parcellation \(NeuroMorphometrics\) convention and count as background: the reference is probably numbered in another convention, so its Dice is not to be trusted\. Choose the convention the reference is numbered in\.$/m;
    expect(gif.stderr).toMatch(warning);
    const text = warning.exec(gif.stderr)![0].replace("siteseg: warning: ", "");
    expect(JSON.parse(gif.stdout).warnings).toContain(text);
    expect(Number(warning.exec(gif.stderr)![1])).toBeGreaterThan(50);
    expect(own.code, own.stderr).toBe(0);
    expect(JSON.parse(own.stdout).convention).toBe("freesurfer");
    expect(own.stderr).not.toMatch(/unknown to the/);
    expect(JSON.parse(own.stdout).warnings.join(" ")).not.toMatch(/unknown to the/);
  });
});
