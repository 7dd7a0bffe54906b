import { writeFileSync } from "node:fs";
import { expect, openApp, screenshot, segment, test, tinyLabel, tinyScan } from "./fixtures";

test("WebGPU backend segments a tiny scan", async ({ page }, info) => {
  test.setTimeout(600_000);
  // onnxruntime-web's WebGPU EP reports some failures only as uncaught validation errors (and
  // returns garbage): any one fails the test
  const gpuErrors: string[] = [];
  page.on("console", (m) => {
    if (/WebGPU validation error/i.test(m.text())) gpuErrors.push(m.text());
  });
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

  // Adapter training runs on WebGPU as well when the model does (train_step.onnx has no Conv whose
  // weight is an activation, the kind ORT's WebGPU EP failed on), with no fallback notice.
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
  console.log(`adapter training on WebGPU (SwiftShader), 2 steps and scoring: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await expect(panel.getByLabel("Trained on")).toHaveText("on webgpu");
  await expect(panel.getByText("WebGPU failed during training")).toHaveCount(0);
  const gpuLoss = await panel.getByLabel("Training loss").innerText();
  await expect(panel.getByRole("progressbar", { name: "Training progress" })).toHaveAttribute("aria-valuetext", "2 steps done");
  await expect(page.getByLabel("Adapter", { exact: true })).toHaveValue("gpu-site (trained)");
  await expect(page.getByLabel("Backend in use")).toContainText("webgpu");
  // no error (a tiny phantom may draw the contrast-mismatch note, which is no failure)
  await expect(page.getByRole("alert").filter({ hasNotText: "learnt only from" })).toHaveCount(0);

  // The same training on WASM (same seed, slices, steps) follows the same losses: the second step's
  // loss comes from the first step's gradients, so wrong WebGPU gradients would show here
  await page.getByRole("combobox", { name: "Backend", exact: true }).selectOption("WASM");
  await expect(page.getByLabel("Backend in use")).toContainText("wasm", { timeout: 120_000 });
  await panel.getByLabel("Site name").fill("cpu-site");
  await panel.getByRole("button", { name: "Train adapter" }).click();
  await expect(panel.getByLabel("Trained on")).toHaveText(/^on wasm/, { timeout: 300_000 });
  const cpuLoss = await panel.getByLabel("Training loss").innerText();
  console.log(`training loss, first → last step: WebGPU ${gpuLoss}, WASM ${cpuLoss}`);
  const [g, c] = [gpuLoss, cpuLoss].map((t) => t.split("→").map(Number));
  expect(Math.abs(g[0] - c[0])).toBeLessThan(1e-3);
  expect(Math.abs(g[1] - c[1])).toBeLessThan(1e-3);
  expect(gpuErrors).toEqual([]);
});
