import type { Page } from "@playwright/test";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { convertSeries, orientationLabel, seriesOrientation } from "../src/core/dicom";
import type { MaskProvenance } from "../src/core/export";
import { readVolume } from "../src/core/io";
import { applyAffine, invert4, voxelSizes } from "../src/core/volume/affine";
import { orientationCode } from "../src/core/volume/grid";
import type { Mat4 } from "../src/core/volume/types";
import { runDcm2niixNode } from "../src/runtime/dcm2niix-node";
import { voxelsOfPixels, writeDicomSeries, type DicomFile, type SeriesSpec } from "../src/test/dicom";
import { centred, collectDownloads, expect, openApp, phantomVolume, screenshot, segment, test } from "./fixtures";

// DICOM in the app: series written here from known volumes (the head phantom of geometry.spec.ts,
// with a texture so that misplaced voxels show) are opened as a folder and as dropped files; the
// picker lists the series; the converted scan's voxels sit where the DICOM tags put their pixels
// (checked through the saved mask's affine) and the cursor readout shows their values.

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const fmt = (n: number) => (Math.abs(n - Math.round(n)) < 0.005 ? String(Math.round(n)) : n.toFixed(2));

/** The phantom through `affine`, plus a small texture (0..3) that differs between neighbours. */
function textured(affine: Mat4, dims: [number, number, number]): Int16Array {
  const { data } = phantomVolume(affine, dims);
  for (let k = 0, n = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++, n++) data[n] += (i + 2 * j + 3 * k) % 4;
  return data;
}

/** 20° about an oblique axis, 2.2 × 1.9 × 3 mm voxels. */
function obliqueAffine(dims: [number, number, number]): Mat4 {
  const [x, y, z] = [1, 2, 3].map((v) => v / Math.hypot(1, 2, 3));
  const t = (20 * Math.PI) / 180;
  const [c, s, C] = [Math.cos(t), Math.sin(t), 1 - Math.cos(t)];
  const r = [[c + x * x * C, y * x * C + z * s, z * x * C - y * s], [x * y * C - z * s, c + y * y * C, z * y * C + x * s], [x * z * C + y * s, y * z * C - x * s, c + z * z * C]];
  return centred(r.map((col, a) => col.map((v) => v * [2.2, 1.9, 3][a])), dims);
}

const OBLIQUE_DIMS: [number, number, number] = [40, 44, 24];
const OBLIQUE: SeriesSpec = {
  dims: OBLIQUE_DIMS,
  data: textured(obliqueAffine(OBLIQUE_DIMS), OBLIQUE_DIMS),
  affine: obliqueAffine(OBLIQUE_DIMS),
  seriesDescription: "T1 oblique 3D",
  seriesNumber: 4,
  seriesUid: "1.2.826.0.1.3680043.8.498.77.4",
};
const AXIAL_DIMS: [number, number, number] = [36, 40, 8];
const AXIAL_AFFINE = centred([[3, 0, 0], [0, 3, 0], [0, 0, 6]], AXIAL_DIMS);
const AXIAL: SeriesSpec = {
  dims: AXIAL_DIMS,
  data: textured(AXIAL_AFFINE, AXIAL_DIMS),
  affine: AXIAL_AFFINE,
  seriesDescription: "Localizer",
  seriesNumber: 1,
  seriesUid: "1.2.826.0.1.3680043.8.498.77.1",
  syntax: "implicit-le",
  fileName: (k) => `${k + 1}`, // no extension
};

/** Writes files under `dir/sub`, returning them. */
function writeAll(dir: string, sub: string, files: DicomFile[]) {
  mkdirSync(path.join(dir, sub), { recursive: true });
  for (const f of files) writeFileSync(path.join(dir, sub, f.name), f.bytes);
  return files;
}

/** Drops files on the page as a real drop would deliver them: a folder's entries when `folder` is named, else loose files. */
async function drop(page: Page, files: { name: string; bytes: Uint8Array }[], folder?: string) {
  const payload = files.map((f) => ({ name: f.name, b64: Buffer.from(f.bytes).toString("base64") }));
  const transfer = await page.evaluateHandle(
    ({ payload, folder }) => {
      const made = payload.map(({ name, b64 }) => new File([Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0))], name));
      const dt = new DataTransfer();
      if (!folder) {
        for (const f of made) dt.items.add(f);
        return dt;
      }
      // A synthetic drop has no file system entries: give its one item the entry a dropped folder
      // has (a directory read in two batches), so the app walks it as it walks a real one.
      dt.items.add(made[0]);
      const fileEntry = (file: File) => ({ isFile: true, isDirectory: false, name: file.name, fullPath: `/${folder}/${file.name}`, file: (ok: (f: File) => void) => ok(file) });
      const batches = [made.slice(0, 3).map(fileEntry), made.slice(3).map(fileEntry), []];
      const dir = { isFile: false, isDirectory: true, name: folder, fullPath: `/${folder}`, createReader: () => ({ readEntries: (ok: (e: unknown[]) => void) => ok(batches.shift() ?? []) }) };
      Object.defineProperty(DataTransferItem.prototype, "webkitGetAsEntry", { configurable: true, value: () => dir });
      return dt;
    },
    { payload, folder },
  );
  const target = page.getByRole("complementary", { name: "Controls" });
  await target.dispatchEvent("dragenter", { dataTransfer: transfer });
  await target.dispatchEvent("dragover", { dataTransfer: transfer });
  await target.dispatchEvent("drop", { dataTransfer: transfer });
}

test("a DICOM folder with two series: pick one, check geometry and values, segment, save the mask on its grid", async ({ page }) => {
  test.setTimeout(240_000);
  const started = Date.now();
  const dir = mkdtempSync(path.join(tmpdir(), "siteseg-dicom-"));
  const root = path.join(dir, "study");
  const oblique = writeAll(root, "series4", writeDicomSeries(OBLIQUE));
  writeAll(root, "series1", writeDicomSeries(AXIAL));
  writeFileSync(path.join(root, "README.txt"), "not DICOM");
  // What Node's dcm2niix (the same WebAssembly) makes of the chosen series.
  const node = await convertSeries(runDcm2niixNode, oblique.map((f) => ({ name: f.name, bytes: f.bytes })), "T1 oblique 3D");

  const downloaded = collectDownloads(page);
  await openApp(page);
  await page.getByLabel("Open folder").setInputFiles(root);

  // The picker: both series, by number, with images and orientation; the text file left aside.
  const dialog = page.getByRole("dialog", { name: "Choose a DICOM series" });
  await expect(dialog).toBeVisible({ timeout: 30_000 });
  await expect(dialog).toContainText("2 series were found (1 other file was left aside)");
  const rows = dialog.getByRole("list", { name: "DICOM series" }).getByRole("button");
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText("#1");
  await expect(rows.nth(0)).toContainText("Localizer");
  await expect(rows.nth(0)).toContainText("8 images");
  await expect(rows.nth(0)).toContainText("Axial · RAS · MR · 36 × 40 px · 3 × 3 mm");
  const obliqueLabel = orientationLabel(seriesOrientation(oblique[0].tags.orientation));
  expect(obliqueLabel).toMatch(/^Oblique \w+ \(\d+(\.\d)?°\) · [RLAPSI]{3}$/);
  await expect(rows.nth(1)).toContainText("#4");
  await expect(rows.nth(1)).toContainText("T1 oblique 3D");
  await expect(rows.nth(1)).toContainText("24 images");
  await expect(rows.nth(1)).toContainText(`${obliqueLabel} · MR · 40 × 44 px · 2.20 × 1.90 mm`);
  await screenshot(page, "dicom-series-picker");
  await rows.nth(1).click();
  await expect(dialog).toBeHidden();

  // The scan: named by the series, on the converted grid.
  await expect(page.getByText("T1 oblique 3D", { exact: true })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByLabel("DICOM series")).toHaveText("DICOM #4 · 24 images");
  const v = node.volume;
  await expect(page.getByText(`${v.dims.join(" × ")} voxels · ${voxelSizes(v.affine).map(fmt).join(" × ")} mm · ${orientationCode(v.affine)}`)).toBeVisible();
  expect([...v.dims].sort()).toEqual([...OBLIQUE_DIMS].sort());
  expect(voxelSizes(v.affine).map(fmt).sort()).toEqual(["1.90", "2.20", "3"]);
  await expect(page.getByLabel("Cursor")).toContainText("Voxel", { timeout: 30_000 });
  console.log(`DICOM folder opened and converted in ${((Date.now() - started) / 1000).toFixed(1)} s (incl. app start)`);

  await segment(page, 150_000);
  await page.getByRole("button", { name: "Save mask (.nii.gz)" }).click();
  const [maskPath, recordPath] = await downloaded("T1 oblique 3D_siteseg-mask.nii.gz", "T1 oblique 3D_siteseg-mask.json");
  const mask = readVolume(new Uint8Array(readFileSync(maskPath)), "mask.nii.gz");
  const record = JSON.parse(readFileSync(recordPath, "utf8")) as MaskProvenance;

  // The mask's grid is the DICOM's: every pixel of every slice lands on its own voxel of the mask
  // at the world position its IPP, IOP and PixelSpacing give (LPS to RAS), within 0.001 voxel.
  expect(mask.dims).toEqual(v.dims);
  const at = voxelsOfPixels(mask, oblique, OBLIQUE_DIMS[0], OBLIQUE_DIMS[1]);
  mask.affine.forEach((x, n) => expect(Math.abs(x - v.affine[n]), `affine[${n}]`).toBeLessThan(1e-4));
  // the browser converted the series exactly as Node did: the record hashes the NIfTI it read
  expect(record.input).toEqual({ name: "T1 oblique 3D", sha256: sha256(node.nifti.bytes) });
  const classes = record.classes.map((k) => k.name);
  // the phantom's bright core (110 plus a texture of 0..3) is where the model finds white matter
  const wm = classes.indexOf("WM");
  let core = 0, found = 0, foundInCore = 0;
  for (let i = 0; i < mask.data.length; i++) {
    const inCore = v.data[i] >= 110;
    if (inCore) core++;
    if (mask.data[i] !== wm) continue;
    found++;
    if (inCore) foundInCore++;
  }
  expect(record.classes[wm].voxels).toBe(found);
  expect(found, "white matter is found in a good part of the core").toBeGreaterThan(0.2 * core);
  expect(foundInCore / found, "and inside it").toBeGreaterThan(0.9);

  // The cursor readout: at the voxels it names, the values of the DICOM pixels that lie there and
  // the mask's class; the pointer's world position is inside the voxel named.
  const pixelAt = new Map<number, number>();
  at.forEach((voxel, n) => pixelAt.set(voxel, OBLIQUE.data[n]));
  const canvas = page.getByLabel("Scan viewer");
  const box = (await canvas.boundingBox())!;
  let checked = 0;
  for (const [fx, fy] of [[0.5, 0.5], [0.42, 0.45], [0.58, 0.55], [0.5, 0.35], [0.45, 0.62], [0.55, 0.4]]) {
    await page.mouse.move(box.x + fx * box.width, box.y + fy * box.height);
    const text = (await page.getByLabel("Cursor").textContent()) ?? "";
    const m = text.match(/^Voxel (\d+), (\d+), (\d+) · value ([-\d.]+) · (\w+) · ([-\d.]+), ([-\d.]+), ([-\d.]+) mm/);
    if (!m) continue;
    const [i, j, k] = [1, 2, 3].map((n) => Number(m[n]));
    const index = i + v.dims[0] * (j + v.dims[1] * k);
    expect(Number(m[4]), text).toBe(pixelAt.get(index));
    expect(m[5], text).toBe(classes[mask.data[index]]);
    // the pointer's world position (to 0.1 mm) lies in the voxel named, by the affine
    const inside = applyAffine(invert4(mask.affine), ...([6, 7, 8].map((n) => Number(m[n])) as [number, number, number]));
    inside.forEach((x, a) => expect(Math.abs(x - [i, j, k][a]), text).toBeLessThanOrEqual(0.55));
    checked++;
  }
  expect(checked, "cursor readouts over the scan").toBeGreaterThan(3);
  await screenshot(page, "dicom-segmented");
  console.log(`DICOM journey: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

test("dropped DICOM: loose files of one series open at once; a folder that cannot be converted says why and the scan stays; Open scan takes a series' files", async ({ page }) => {
  test.setTimeout(120_000);
  await openApp(page, { waitForModel: false });

  // Loose, extensionless files of one series: no picker.
  const axial = writeDicomSeries(AXIAL);
  await drop(page, [...axial].reverse());
  await expect(page.getByText("Localizer", { exact: true })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole("dialog", { name: "Choose a DICOM series" })).toHaveCount(0);
  await expect(page.getByText(`36 × 40 × 8 voxels · 3 × 3 × 6 mm`)).toBeVisible();
  await expect(page.getByLabel("Cursor")).toContainText("Voxel", { timeout: 30_000 });

  // A dropped folder whose images are cut short: dcm2niix's reason, and the Localizer stays.
  const broken = writeDicomSeries({ ...OBLIQUE, seriesDescription: "Broken" }).map((f) => ({ name: f.name, bytes: f.bytes.slice(0, f.bytes.length - 200) }));
  await drop(page, broken, "broken-series");
  const alert = page.getByRole("alert").filter({ hasText: "could not be opened" });
  await expect(alert).toBeVisible({ timeout: 30_000 });
  await expect(alert).toContainText("Broken: the DICOM images could not be converted to a volume");
  await expect(alert).toContainText(/dcm2niix said: .*broken-series\/IM\d{4}\.dcm/);
  await expect(page.getByText("Localizer", { exact: true })).toBeVisible();
  await expect(page.getByText("36 × 40 × 8 voxels · 3 × 3 × 6 mm")).toBeVisible();
  await screenshot(page, "dicom-broken");

  // Open scan takes several files too: a series' .dcm files open as its scan.
  const files = writeDicomSeries(OBLIQUE).map((f) => ({ name: f.name, mimeType: "application/dicom", buffer: Buffer.from(f.bytes) }));
  await page.getByLabel("Open scan").setInputFiles(files);
  await expect(page.getByText("T1 oblique 3D", { exact: true })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByLabel("DICOM series")).toHaveText("DICOM #4 · 24 images");
  await expect(page.getByText("40 × 44 × 24 voxels · 2.20 × 1.90 × 3 mm")).toBeVisible();
});
