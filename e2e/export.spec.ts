import type { Page } from "@playwright/test";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import type { DiceReport, MaskProvenance } from "../src/core/export";
import { readNifti, readVolume, writeNifti } from "../src/core/io";
import { voxelVolumeMl } from "../src/core/volume/affine";
import type { Mat4 } from "../src/core/volume/types";
import { centred, collectDownloads, expect, openApp, openScan, phantomVolume, pixelStats, screenshot, segment, shippedDefaultPasses, test } from "./fixtures";

// Export: the saved mask reopens with the project's reader on the scan's grid and affine (sform
// and qform), its voxels are the app's mask, and its provenance record names what made it; the
// Dice report and a PNG of the view.

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** The transforms a NIfTI-1 file holds, each read by the project's reader: the sform, and the qform with the sform switched off. */
function transforms(file: Uint8Array): { sform: Mat4; qform: Mat4 } {
  const raw = file[0] === 0x1f && file[1] === 0x8b ? new Uint8Array(gunzipSync(file)) : file.slice();
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  expect(v.getInt16(252, true), "qform_code").toBeGreaterThan(0);
  expect(v.getInt16(254, true), "sform_code").toBeGreaterThan(0);
  const sform = readNifti(raw).affine;
  v.setInt16(254, 0, true); // sform_code 0: the reader takes the qform
  return { sform, qform: readNifti(raw).affine };
}

function expectAffineClose(actual: Mat4, expected: Mat4, what: string) {
  expect(actual.length, what).toBe(16);
  actual.forEach((x, n) => expect(Math.abs(x - expected[n]), `${what}[${n}]: ${x} vs ${expected[n]}`).toBeLessThan(1e-4));
}

/** Voxels per label value. */
function counts(data: ArrayLike<number>): number[] {
  const c = new Array<number>(256).fill(0);
  for (let i = 0; i < data.length; i++) c[data[i]]++;
  return c;
}

/**
 * Saves the mask and checks the file against the scan file it was made from (`input`, the bytes
 * the app read): same grid, the scan's sform (to the bit) and qform (to float32 precision), and
 * voxels that hash to the provenance's mask_sha256 (the app hashes the mask it holds, so equal
 * hashes mean the file is that mask voxel for voxel). Returns the mask and its provenance record.
 */
async function saveAndCheckMask(page: Page, take: ReturnType<typeof collectDownloads>, input: { name: string; bytes: Uint8Array }, stem: string) {
  const scan = readVolume(input.bytes, input.name);
  const given = transforms(input.bytes);
  await page.getByRole("button", { name: "Save mask (.nii.gz)" }).click();
  const [maskPath, recordPath] = await take(`${stem}.nii.gz`, `${stem}.json`);
  const file = new Uint8Array(readFileSync(maskPath));
  const mask = readVolume(file, path.basename(maskPath));
  const record = JSON.parse(readFileSync(recordPath, "utf8")) as MaskProvenance;

  expect(mask.dims).toEqual(scan.dims);
  expect(mask.data).toBeInstanceOf(Uint8Array);
  const { sform, qform } = transforms(file);
  expect(sform).toEqual(given.sform);
  expect(mask.affine).toEqual(scan.affine);
  expectAffineClose(qform, given.qform, "qform");
  expect(record.grid).toEqual({ dims: scan.dims, affine: scan.affine });

  expect(record.file).toBe(`${stem}.nii.gz`);
  expect(sha256(mask.data as Uint8Array)).toBe(record.mask_sha256);
  const c = counts(mask.data);
  const ml = voxelVolumeMl(mask.affine);
  for (const k of record.classes) {
    expect(k.voxels, k.name).toBe(c[k.index]);
    expect(Math.abs(k.ml - c[k.index] * ml), k.name).toBeLessThan(0.001);
  }
  expect(record.classes.reduce((s, k) => s + k.voxels, 0), "every voxel is a model class").toBe(mask.data.length);

  // The legend's volumes are this file's.
  const legend = page.getByRole("list", { name: "Mask legend" });
  for (const k of record.classes.filter((k) => k.index !== 0)) {
    await expect(legend.getByRole("listitem").filter({ hasText: k.name })).toContainText(`${(c[k.index] * ml).toFixed(1)} mL`);
  }

  // Where the viewer's cursor points, the file holds the class the readout names.
  const classNames = record.classes.map((k) => k.name);
  const canvas = page.getByLabel("Scan viewer");
  const box = (await canvas.boundingBox())!;
  let checked = 0;
  for (const [fx, fy] of [[0.5, 0.5], [0.42, 0.45], [0.58, 0.55], [0.5, 0.35], [0.45, 0.62]]) {
    await page.mouse.move(box.x + fx * box.width, box.y + fy * box.height);
    const text = (await page.getByLabel("Cursor").textContent()) ?? "";
    const m = text.match(/^Voxel (\d+), (\d+), (\d+) · value [^·]+ · (\w+)/);
    if (!m) continue; // outside the scan, or between views
    const [i, j, k] = [1, 2, 3].map((n) => Number(m[n]));
    expect(classNames[mask.data[i + mask.dims[0] * (j + mask.dims[1] * k)]], text).toBe(m[4]);
    checked++;
  }
  expect(checked, "cursor readouts over the scan").toBeGreaterThan(2);

  // What made it
  expect(record.app).toEqual({ name: "siteseg", version: JSON.parse(readFileSync("package.json", "utf8")).version });
  expect(record.backend).toMatch(/^(wasm|webgpu)/);
  // the inference options the mask was made with: the shipped manifest's defaults for this backend
  expect(record.inference_options).toEqual(shippedDefaultPasses(String(record.backend)));
  expect(record.timings_ms.inference).toBeGreaterThan(0);
  expect(record.timings_ms.total).toBeGreaterThanOrEqual(record.timings_ms.inference);
  expect(Date.now() - Date.parse(record.date)).toBeLessThan(600_000);
  expect(record.corrected_slices).toEqual([]);
  expect(record.input).toEqual({ name: input.name, sha256: sha256(input.bytes) });
  return { scan, record };
}

test("save mask with provenance, Dice CSV and JSON, and the view as PNG (Synthetic PD sample)", async ({ page }) => {
  test.setTimeout(300_000);
  const take = collectDownloads(page);
  await openApp(page);
  await page.getByRole("button", { name: "Open sample" }).click();
  await page.getByRole("menu", { name: "Sample sites" }).getByRole("menuitem", { name: /Synthetic PD/ }).click();
  await expect(page.getByText(/Reference: pd_seg\.nii\.gz/)).toBeVisible({ timeout: 30_000 });
  await expect(page.getByLabel("Adapter", { exact: true })).toHaveValue("synth-pd");
  await segment(page);

  // The sample as the app received it: vite preview serves .nii.gz files with Content-Encoding:
  // gzip, so the browser decompresses them and the app reads (and hashes) the bare NIfTI.
  const received = new Uint8Array(gunzipSync(readFileSync("public/samples/synth-pd/pd.nii.gz")));
  const { scan, record } = await saveAndCheckMask(page, take, { name: "pd.nii.gz", bytes: received }, "pd_siteseg-mask_synth-pd");

  // Model and adapter: the served manifest's and the served adapter file's (what the app loaded).
  const manifest = await (await page.request.get("/models/siteseg-tissue/manifest.json")).json();
  expect(record.model).toEqual({ id: manifest.id, name: manifest.name, version: manifest.version, sha256: manifest.files.model.sha256 });
  expect(sha256(await (await page.request.get(`/models/siteseg-tissue/${manifest.files.model.path}`)).body())).toBe(manifest.files.model.sha256);
  const shipped = manifest.adapters.shipped.find((a: { name: string }) => a.name === "synth-pd");
  const weights = await (await page.request.get(`/models/siteseg-tissue/${shipped.path.replace(/\/?$/, "/")}adapter_model.safetensors`)).body();
  expect(record.adapter).toEqual({ name: "synth-pd", sha256: sha256(weights) });
  expect(record.classes.map((k) => k.name)).toEqual(manifest.classes.map((c: { name: string }) => c.name));

  // Dice report: the same mean as the panel, per class alike in CSV and JSON.
  const evaluation = page.getByRole("region", { name: "Evaluation" });
  const shownMean = Number(await evaluation.getByRole("table", { name: "Dice" }).locator("tfoot td").first().textContent());
  expect(shownMean).toBeGreaterThan(0.5);
  await evaluation.getByRole("button", { name: "Export Dice CSV" }).click();
  await evaluation.getByRole("button", { name: "Export Dice JSON" }).click();
  const [csvPath, jsonPath] = await take("pd_siteseg-dice_synth-pd.csv", "pd_siteseg-dice_synth-pd.json");
  const report = JSON.parse(readFileSync(jsonPath, "utf8")) as DiceReport;
  expect(report).toMatchObject({ model: manifest.id, modelVersion: manifest.version, adapter: "synth-pd", image: "pd.nii.gz", label: "pd_seg.nii.gz", convention: "freesurfer" });
  expect(report.resampledReference, "as the panel says").toBe(await evaluation.getByText(/reference was on another grid and was resampled/).isVisible());
  expect(Math.abs(report.meanDice! - shownMean)).toBeLessThanOrEqual(0.0005 + 1e-9);
  expect(report.perSlice).toHaveLength(scan.dims[report.perSliceAxis]);
  expect(Object.keys(report.dice)).toEqual(["CSF", "GM", "WM"]);
  for (const [name, v] of Object.entries(report.volumesMl)) {
    const k = record.classes.find((c) => c.name === name)!;
    expect(Math.abs(v.predicted - k.ml), name).toBeLessThan(0.001);
  }
  const rows = readFileSync(csvPath, "utf8").trim().split("\n").map((l) => l.split(","));
  expect(rows[0]).toEqual(["image", "label", "convention", "model", "model_version", "adapter", "class", "dice", "predicted_ml", "reference_ml", "volume_error_ml", "volume_error_pct", "hd95_mm"]);
  expect(rows.slice(1).map((r) => r[6])).toEqual(["CSF", "GM", "WM", "mean"]);
  for (const r of rows.slice(1)) expect(r.slice(0, 6)).toEqual(["pd.nii.gz", "pd_seg.nii.gz", "freesurfer", manifest.id, manifest.version, "synth-pd"]);
  for (const r of rows.slice(1, 4)) expect(Number(r[7]), r[6]).toBe(report.dice[r[6]]);
  // HD95 is in the export even when the panel had not finished computing it (the export computes it then)
  for (const r of rows.slice(1, 4)) expect(Number(r[12]), r[6]).toBe(report.hd95Mm[r[6]]);
  for (const name of ["CSF", "GM", "WM"]) expect(report.hd95Mm[name], name).toBeGreaterThanOrEqual(0);
  expect(Number(rows[4][7])).toBe(report.meanDice);

  // The view as PNG: what the canvas shows, not a blank buffer.
  await page.getByRole("button", { name: "Save view (PNG)" }).click();
  const [pngPath] = await take("pd_siteseg-view_synth-pd.png");
  const png = readFileSync(pngPath);
  const canvasSize = await page.getByLabel("Scan viewer").evaluate((c: HTMLCanvasElement) => [c.width, c.height]);
  expect([png.readUInt32BE(16), png.readUInt32BE(20)], "PNG size (IHDR)").toEqual(canvasSize);
  // the viewer's background (2, 6, 23) is not "lit"; a blank WebGL read is transparent black
  const stats = await pixelStats(page, png, [[2, 6, 23]], 4);
  console.log(`view PNG ${canvasSize.join("×")}: ${((100 * stats.lit) / stats.total).toFixed(1)}% lit, ${((100 * stats.chromatic) / stats.total).toFixed(1)}% coloured, ${((100 * stats.near[0]) / stats.total).toFixed(1)}% background`);
  expect(stats.near[0] / stats.total, "the viewer's background is drawn").toBeGreaterThan(0.05);
  expect(stats.lit / stats.total, "the scan is drawn").toBeGreaterThan(0.1);
  expect(stats.chromatic / stats.total, "the mask is drawn").toBeGreaterThan(0.01);

  // The new buttons in their panels (look at these to check the layout).
  await page.getByRole("button", { name: "Save mask (.nii.gz)" }).scrollIntoViewIfNeeded();
  await screenshot(page, "export-save-mask");
  await evaluation.getByRole("button", { name: "Export Dice JSON" }).scrollIntoViewIfNeeded();
  await screenshot(page, "export-dice-and-view");
});

test("an oblique, left-handed scan: the mask keeps its affine as sform and qform", async ({ page }) => {
  test.setTimeout(180_000);
  const take = collectDownloads(page);
  // 20° about y, x flipped (qfac -1), 2 × 2 × 3 mm voxels
  const t = (20 * Math.PI) / 180;
  const dims: [number, number, number] = [44, 48, 28];
  const affine = centred([[-2 * Math.cos(t), 0, 2 * Math.sin(t)], [0, 2, 0], [3 * Math.sin(t), 0, 3 * Math.cos(t)]], dims);
  const bytes = writeNifti(phantomVolume(affine, dims), { gzip: false });
  const given = transforms(bytes);
  expectAffineClose(given.sform, affine, "the input's sform");
  expectAffineClose(given.qform, affine, "the input's qform");

  await openApp(page);
  await openScan(page, { name: "oblique.nii", mimeType: "application/octet-stream", buffer: Buffer.from(bytes) });
  await segment(page, 120_000);
  const { record } = await saveAndCheckMask(page, take, { name: "oblique.nii", bytes }, "oblique_siteseg-mask");
  expect(record.adapter).toBe("none");
  expect(record.classes.find((k) => k.name === "WM")!.voxels, "the phantom's core is segmented").toBeGreaterThan(500);
});
