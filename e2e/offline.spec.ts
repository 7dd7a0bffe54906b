import { readFileSync } from "node:fs";
import { convertSeries } from "../src/core/dicom";
import { readVolume } from "../src/core/io";
import { runDcm2niixNode } from "../src/runtime/dcm2niix-node";
import { writeDicomSeries } from "../src/test/dicom";
import { centred, collectDownloads, expect, openApp, openSample, phantomVolume, screenshot, segment, test } from "./fixtures";

// The service worker precaches the whole bundle on the first visit.
test.use({ serviceWorkers: "allow" });

test("after one visit, offline: the app loads cross-origin isolated, opens a DICOM series built here, segments, exports onto its grid, opens a sample, and opens a model from disk", async ({ page, context, requests }) => {
  test.setTimeout(300_000);
  await openApp(page);
  // the first visit installs the service worker; it takes control once everything is cached
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener("controllerchange", r, { once: true }));
  });

  await context.setOffline(true);
  await page.reload();
  await openApp(page);
  // the network is really off: a request the cache cannot answer fails. (navigator.onLine is no proof:
  // Chromium 150 reports true again in a document loaded after setOffline, though nothing gets through.)
  const uncached = await page.evaluate(() => fetch(`/not-cached-${Date.now()}.bin`, { cache: "no-store" }).then(() => "answered", () => "failed"));
  expect(uncached).toBe("failed");
  // isolation survives the cache (COOP/COEP kept on the cached page): WASM runs threaded
  expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
  await expect(page.getByText(/wasm \(2 threads\)|wasm \(\d+ threads\)/)).toBeVisible();

  // A DICOM series (oblique, written here from a known phantom), converted offline by the cached dcm2niix.
  const dims: [number, number, number] = [40, 44, 20];
  const t = (15 * Math.PI) / 180;
  const affine = centred([[2, 0, 0], [0, 2 * Math.cos(t), 2 * Math.sin(t)], [0, -3 * Math.sin(t), 3 * Math.cos(t)]], dims);
  const series = writeDicomSeries({ dims, affine, data: phantomVolume(affine, dims).data, seriesDescription: "Offline T1", seriesNumber: 2, seriesUid: "1.2.826.0.1.3680043.8.498.78.2" });
  await page.getByLabel("Open scan").setInputFiles(series.map((f) => ({ name: f.name, mimeType: "application/dicom", buffer: Buffer.from(f.bytes) })));
  await expect(page.getByText("Offline T1", { exact: true })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByLabel("Cursor")).toContainText("Voxel", { timeout: 30_000 });
  await segment(page);
  const downloaded = collectDownloads(page);
  await page.getByRole("button", { name: "Save mask (.nii.gz)" }).click();
  const [maskPath] = await downloaded("Offline T1_siteseg-mask.nii.gz", "Offline T1_siteseg-mask.json");
  // the mask lies on the series' own grid: the one Node's dcm2niix (the same WebAssembly) gives
  const scan = (await convertSeries(runDcm2niixNode, series, "Offline T1")).volume;
  const mask = readVolume(new Uint8Array(readFileSync(maskPath)), "mask.nii.gz");
  expect(mask.dims).toEqual(scan.dims);
  mask.affine.forEach((v, i) => expect(Math.abs(v - scan.affine[i])).toBeLessThan(1e-4));
  expect(Array.from(mask.data).some((v) => v > 0)).toBe(true);

  await openSample(page, /Synthetic PD/);
  await segment(page);
  await expect(page.getByRole("table", { name: /Dice/ }).first()).toBeVisible();
  await page.getByRole("button", { name: "Save mask (.nii.gz)" }).click();
  await downloaded("pd_siteseg-mask_synth-pd.nii.gz", "pd_siteseg-mask_synth-pd.json");
  // a hospital's own model, from disk, offline: it loads and shows its own classes
  await page.getByLabel("Open model…").setInputFiles("models/siteseg-tumour");
  await expect(page.getByText(/^Brain tumour .* ready$/)).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole("list", { name: "Mask legend" }).getByRole("listitem")).toHaveText([/^oedema/, /^tumour core/]);
  await screenshot(page, "offline");
  // offline, every request was answered by the service worker from this origin (the guard checks the origin)
  expect(requests.some((u) => u.endsWith("/model.onnx"))).toBe(true);
});
