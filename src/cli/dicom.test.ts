import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readVolume } from "../core/io";
import type { Mat4 } from "../core/volume/types";
import { siteseg as run } from "../test/cli";
import { voxelsOfPixels, writeDicomSeries, type DicomFile, type SeriesSpec } from "../test/dicom";

// siteseg reads a folder holding one DICOM series as the scan (dcm2niix in-process); several
// series are refused with a list of them and their folders.

const DIMS: [number, number, number] = [40, 36, 12];
const t = (15 * Math.PI) / 180;
/** 15° about x, 2 × 2.2 × 3.5 mm, centred near the origin. */
const AFFINE: Mat4 = [2, 0, 0, -39, 0, 2.2 * Math.cos(t), -3.5 * Math.sin(t), -30, 0, 2.2 * Math.sin(t), 3.5 * Math.cos(t), -20, 0, 0, 0, 1];
/** A bright ellipsoid in a darker shell, enough for the model to find tissue. */
const DATA = Int16Array.from({ length: DIMS[0] * DIMS[1] * DIMS[2] }, (_, n) => {
  const [i, j, k] = [n % DIMS[0], Math.floor(n / DIMS[0]) % DIMS[1], Math.floor(n / (DIMS[0] * DIMS[1]))];
  const r = Math.hypot((i - 19.5) / 17, (j - 17.5) / 15, (k - 5.5) / 6);
  return r < 0.5 ? 110 : r < 0.8 ? 72 : r < 0.95 ? 28 : 0;
});
const T1: SeriesSpec = { dims: DIMS, data: DATA, affine: AFFINE, seriesDescription: "T1 sag", seriesNumber: 3, seriesUid: "1.2.826.0.1.3680043.8.498.9.3", fileName: (k) => `slice${k}` };
const T2: SeriesSpec = { ...T1, seriesDescription: "T2", seriesNumber: 8, seriesUid: "1.2.826.0.1.3680043.8.498.9.8", syntax: "implicit-le" };

const siteseg = (...args: string[]) => run(args, 300_000);
let tmp = "";
let t1: DicomFile[] = [];

async function writeSeries(dir: string, files: DicomFile[]) {
  await mkdir(dir, { recursive: true });
  await Promise.all(files.map((f) => writeFile(join(dir, f.name), f.bytes)));
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "siteseg-dicom-cli-"));
  t1 = writeDicomSeries(T1);
  await writeSeries(join(tmp, "one/T1"), t1);
  await writeSeries(join(tmp, "two/a"), t1);
  await writeSeries(join(tmp, "two/b/deeper"), writeDicomSeries(T2));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("siteseg with a DICOM folder", () => {
  it("segments the series and writes the mask on its grid", async () => {
    const out = join(tmp, "mask.nii.gz");
    const r = await siteseg("segment", "--image", join(tmp, "one"), "--out", out, "--threads", "2");
    expect(r.code, r.stderr).toBe(0);
    const mask = readVolume(new Uint8Array(await readFile(out)), out);
    // every pixel of the series lands on its own voxel of the mask, by the DICOM tags
    expect(voxelsOfPixels(mask, t1, DIMS[0], DIMS[1])).toHaveLength(DATA.length);
    expect(mask.data.some((v) => v === 3), "white matter found").toBe(true);
  }, 300_000);

  it("refuses a folder with two series, listing them with their folders", async () => {
    const r = await siteseg("segment", "--image", join(tmp, "two"), "--out", join(tmp, "x.nii.gz"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`it holds 2 DICOM series; give --image the folder of one of them:`);
    expect(r.stderr).toContain(`#3 T1 sag: 12 images, Oblique axial (15°) · RAS, in ${join(tmp, "two/a")}`);
    expect(r.stderr).toContain(`#8 T2: 12 images, Oblique axial (15°) · RAS, in ${join(tmp, "two/b/deeper")}`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
