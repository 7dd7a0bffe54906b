import { writeFileSync } from "node:fs";
import { writeNifti } from "../src/core/io";
import { expect, openApp, screenshot, segment, test } from "./fixtures";

/** A tiny synthetic T1-like head: 32×32×6 voxels, 1 mm, RAS; bright "WM" core in a darker shell. */
function tinyScan(): Uint8Array {
  const dims: [number, number, number] = [32, 32, 6];
  const data = new Float32Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++)
      for (let i = 0; i < dims[0]; i++) {
        const r = Math.hypot((i - 15.5) / 13, (j - 15.5) / 11, (k - 2.5) / 6);
        data[i + dims[0] * (j + dims[1] * k)] = r < 0.45 ? 110 : r < 0.75 ? 70 : r < 0.9 ? 25 : 0;
      }
  const affine = [1, 0, 0, -16, 0, 1, 0, -16, 0, 0, 1, -3, 0, 0, 0, 1];
  return writeNifti({ dims, affine, data }, { gzip: true });
}

test("WebGPU backend segments a tiny scan", async ({ page }, info) => {
  test.setTimeout(600_000);
  await openApp(page);
  const adapter = await page.evaluate(async () => {
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string } } | null> } }).gpu;
    if (!gpu) return "navigator.gpu is missing";
    const a = await gpu.requestAdapter();
    return a ? `adapter ${a.info?.vendor ?? "?"} ${a.info?.architecture ?? ""}`.trim() : "requestAdapter() returned null";
  });
  console.log(`WebGPU: ${adapter}`);
  expect(adapter, `WebGPU is not available in this Chromium (${adapter}); launch it with --enable-unsafe-webgpu and a Vulkan (SwiftShader) adapter`).toMatch(/^adapter/);

  await page.getByRole("combobox", { name: "Backend", exact: true }).selectOption("WebGPU");
  await expect(page.getByLabel("Backend in use")).toContainText("webgpu", { timeout: 120_000 });
  await expect(page.getByRole("alert")).toHaveCount(0);

  const file = info.outputPath("tiny.nii.gz");
  writeFileSync(file, tinyScan());
  await page.getByLabel("Open scan").setInputFiles(file);
  await expect(page.getByText("tiny.nii.gz", { exact: true })).toBeVisible();

  const ms = await segment(page, 540_000);
  console.log(`WebGPU (SwiftShader) segmentation of 32×32×6 took ${(ms / 1000).toFixed(1)} s`);
  await expect(page.getByLabel("Segmentation result")).toContainText("webgpu");
  await expect(page.getByLabel("Backend in use")).toContainText("webgpu");
  await expect(page.getByRole("alert")).toHaveCount(0);
  await screenshot(page, "08-webgpu-tiny");
});
