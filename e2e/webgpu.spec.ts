import { writeFileSync } from "node:fs";
import { expect, openApp, screenshot, segment, test, tinyLabel, tinyScan } from "./fixtures";

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

  // Adapter training works with the WebGPU backend chosen: the training graph runs on WASM (ORT 1.30's
  // JSEP Conv fails on its weight-input Convs), the base's predictions for anchored crops on WebGPU.
  const label = info.outputPath("tiny_seg.nii.gz");
  writeFileSync(label, tinyLabel());
  await page.getByLabel("Open reference label").setInputFiles(label);
  const panel = page.getByRole("region", { name: "Train site adapter" });
  await panel.getByLabel("Site name").fill("gpu-site");
  await panel.getByLabel("Slice numbers").fill("2");
  await panel.getByLabel("Steps").fill("2");
  const t0 = Date.now();
  await panel.getByRole("button", { name: "Train adapter" }).click();
  await expect(panel.getByRole("group", { name: "Training result" })).toBeVisible({ timeout: 540_000 });
  console.log(`adapter training beside WebGPU inference, 2 steps and scoring: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await expect(panel.getByRole("progressbar", { name: "Training progress" })).toHaveAttribute("aria-valuetext", "2 steps done");
  await expect(page.getByLabel("Adapter", { exact: true })).toHaveValue("gpu-site (trained)");
  await expect(page.getByLabel("Backend in use")).toContainText("webgpu");
  // no error (a tiny phantom may draw the contrast-mismatch note, which is no failure)
  await expect(page.getByRole("alert").filter({ hasNotText: "learnt only from" })).toHaveCount(0);
});
