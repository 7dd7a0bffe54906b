import { writeFileSync } from "node:fs";
import { gzipSync } from "fflate";
import { writeNifti } from "../src/core/io";
import { expect, openApp, openScan, pixelStats, screenshot, test, tinyScan } from "./fixtures";

// Issue 12 part 5: a large scan opens off the page's thread with its progress shown; one over the
// voxel budget is refused from its header, before it is inflated, and the loaded scan stays.

test("a large compressed scan shows its progress while it opens; one over the budget is refused from its header", async ({ page }, testInfo) => {
  await openApp(page);
  await openScan(page, { name: "tiny.nii.gz", mimeType: "application/gzip", buffer: Buffer.from(tinyScan()) });

  // 320×320×240 float32 (98 MB inflated), noisy so that it does not compress away
  const dims: [number, number, number] = [320, 320, 240];
  const data = new Float32Array(dims[0] * dims[1] * dims[2]);
  for (let i = 0; i < data.length; i++) data[i] = (((i * 2654435761) >>> 0) % 1000) / 10 + ((i % 320) > 60 && (i % 320) < 260 ? 100 : 0);
  const big = Buffer.from(writeNifti({ dims, affine: [0.8, 0, 0, -128, 0, 0.8, 0, -128, 0, 0, 0.8, -96, 0, 0, 0, 1], data }, { gzip: true }));
  await page.evaluate(() => {
    const w = window as unknown as { longTasks: number[]; notices: string[] };
    w.longTasks = [];
    new PerformanceObserver((list) => list.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({ type: "longtask" });
    // niivue's first drawing holds the page, so the notice before it is recorded as it appears
    w.notices = [];
    new MutationObserver(() => {
      const notice = document.querySelector('[aria-label="Viewer drawing"]')?.textContent;
      if (notice && w.notices.at(-1) !== notice) w.notices.push(notice);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  // from a file on disk, as a user picks it: a buffer handed to setInputFiles is rebuilt as a File
  // on the page's own thread, a 1.1 s long task of the test's making
  const bigPath = testInfo.outputPath("big.nii.gz");
  writeFileSync(bigPath, big);
  await page.getByLabel("Open scan").setInputFiles(bigPath);
  // the page keeps drawing while the worker inflates: the status counts up
  await expect(page.getByText(/^Opening big\.nii\.gz… \d+%$/)).toBeVisible({ timeout: 30_000 });
  await screenshot(page, "size-01-opening");
  await expect(page.getByText("big.nii.gz", { exact: true })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByText(/320 × 320 × 240 voxels/)).toBeVisible();
  await expect(page.getByLabel("Cursor")).toContainText("Voxel", { timeout: 30_000 });
  const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
  // the page said why it was held, before niivue drew the scan, and took the notice down after
  expect(await page.evaluate(() => (window as unknown as { notices: string[] }).notices)).toContainEqual(expect.stringMatching(/^Drawing big\.nii\.gz… A large scan can take several seconds/));
  await expect(page.getByLabel("Viewer drawing")).toHaveCount(0);
  // drawn on the fast path these figures are about: every niivue internal of the boundary was found
  await expect(page.getByRole("alert").filter({ hasText: "plain, slower way" })).toHaveCount(0);
  console.log(`main-thread long tasks while the 98 MB scan opened and was first drawn: ${longTasks.length}, longest ${Math.max(0, ...longTasks).toFixed(0)} ms`);

  // a new window redraws the scan's layers from the voxels already on the GPU
  const canvas = page.getByLabel("Scan viewer");
  const white = async () => (await pixelStats(page, canvas, [[255, 255, 255]])).near[0];
  const whiteBefore = await white();
  await page.evaluate(() => ((window as unknown as { longTasks: number[] }).longTasks = []));
  await page.getByLabel("Window max").fill("120");
  // read before the pixel checks, which decode screenshots on the page's own thread
  await page.waitForTimeout(2000);
  const windowTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
  await expect.poll(white, { timeout: 15_000 }).toBeGreaterThan(whiteBefore * 2);
  console.log(`main-thread long tasks while the window changed: ${windowTasks.length}, longest ${Math.max(0, ...windowTasks).toFixed(0)} ms`);

  // 512×512×1000 float32 (a 1 GB CT) whose stream is broken after its first blocks: inflating it
  // all would end in "corrupt"; the header alone refuses it, naming the limit
  const header = writeNifti({ dims: [2, 2, 2], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data: new Float32Array(8) }, { gzip: false }).slice(0, 352);
  [512, 512, 1000].forEach((n, a) => new DataView(header.buffer).setInt16(42 + 2 * a, n, true));
  const raw = new Uint8Array(352 + 2_000_000);
  raw.set(header);
  for (let i = 352; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
  const gz = gzipSync(raw, { level: 1 });
  await page.getByLabel("Open scan").setInputFiles({ name: "ct.nii.gz", mimeType: "application/gzip", buffer: Buffer.from(gz.slice(0, gz.length >> 1)) });
  const alert = page.getByRole("alert").filter({ hasText: "could not be opened" });
  await expect(alert).toContainText("the scan has 262 million voxels (512×512×1000); this app reads at most 160 million");
  await screenshot(page, "size-02-refused");
  await expect(page.getByText("big.nii.gz", { exact: true })).toBeVisible(); // the loaded scan stays
});
