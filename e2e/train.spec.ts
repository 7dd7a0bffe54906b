import { readFileSync } from "node:fs";
import { collectDownloads, expect, openApp, openSample, screenshot, segment, test } from "./fixtures";

test("train a site adapter in the browser from the reference, save it, and reload it in a fresh page", async ({ page }) => {
  test.setTimeout(600_000);
  await openApp(page);
  await openSample(page, /Synthetic PD/);
  await expect(page.getByText(/Reference: pd_seg\.nii\.gz/)).toBeVisible();

  // An adapter says what it learnt from, and warns on a scan of the other contrast family.
  await expect(page.getByLabel("Adapter trained on")).toHaveText("Learnt from pd.nii.gz (T2/FLAIR/PD-like)");
  await segment(page);
  await expect(page.getByRole("alert", { name: "Contrast mismatch" })).toHaveCount(0);
  await page.getByLabel("Adapter", { exact: true }).selectOption("niivue-t1");
  await expect(page.getByRole("alert", { name: "Contrast mismatch" })).toContainText("This scan looks T2/FLAIR/PD-like");
  await expect(page.getByRole("alert", { name: "Contrast mismatch" })).toContainText("niivue-t1 learnt only from T1-like scans");
  await page.getByLabel("Adapter", { exact: true }).selectOption("synth-pd");
  await expect(page.getByRole("alert", { name: "Contrast mismatch" })).toHaveCount(0);

  const panel = page.getByRole("region", { name: "Train site adapter" });
  const bar = panel.getByRole("progressbar", { name: "Training progress" });
  // Cancel stops a run at once (the worker is ended); the next run starts a fresh one.
  await panel.getByRole("button", { name: "Train adapter" }).click();
  await expect(bar).toHaveAttribute("aria-valuetext", /Step [1-9]\d* \/ 300/, { timeout: 120_000 });
  await panel.getByRole("button", { name: "Cancel training" }).click();
  await expect(bar).toHaveAttribute("aria-valuetext", "Cancelled", { timeout: 1000 });
  await expect(panel.getByRole("button", { name: "Train adapter" })).toBeEnabled();

  // A short run (the default recipe is 300 steps): 5 slices.
  await panel.getByLabel("Site name").fill("my-pd-site");
  await panel.getByLabel("Number of slices").fill("5");
  await panel.getByLabel("Steps").fill("25");
  await panel.getByRole("button", { name: "Train adapter" }).click();
  await expect(bar).toHaveAttribute("aria-valuetext", /Step \d+ \/ 25 · loss \d\.\d{4}/, { timeout: 120_000 });
  const result = panel.getByRole("group", { name: "Training result" });
  await expect(result).toBeVisible({ timeout: 300_000 });
  const heldOut = (await result.getByRole("note", { name: "Held-out Dice" }).textContent()) ?? "";
  console.log(`trained in the browser: ${heldOut}`);
  const [base, adapted] = [...heldOut.matchAll(/0\.\d{3}/g)].map((m) => Number(m[0]));
  expect(adapted).toBeGreaterThan(base);
  // the user's own data-efficiency point, over the reference sites' curves from the model card
  await expect(result.getByLabel("Data efficiency chart").locator("svg")).toContainText("your site");
  await expect(page.getByLabel("Adapter", { exact: true })).toHaveValue("my-pd-site (trained)");
  await result.scrollIntoViewIfNeeded();
  await screenshot(page, "train-adapter");

  // Save: the two PEFT files.
  const downloaded = collectDownloads(page);
  await result.getByRole("button", { name: "Save adapter" }).click();
  const [configPath, weightsPath] = await downloaded("adapter_config.json", "adapter_model.safetensors");
  const config = JSON.parse(readFileSync(configPath, "utf8"));
  expect(config).toMatchObject({ peft_type: "LORA", site: "my-pd-site", r: 2 });
  expect(config.provenance.tool).toBe("siteseg (browser)");
  expect(config.provenance.recipe.steps).toBe(25);
  // the source scan's bytes as the app received them (the preview server sends .nii.gz samples
  // with Content-Encoding: gzip, so the browser holds the decompressed NIfTI)
  const { createHash } = await import("node:crypto");
  const { gunzipSync } = await import("node:zlib");
  expect(config.provenance.source_sha256).toEqual([createHash("sha256").update(gunzipSync(readFileSync("public/samples/synth-pd/pd.nii.gz"))).digest("hex")]);

  // The mask the trained adapter gives, here and after a reload with the saved files.
  await segment(page);
  const legend = page.getByRole("list", { name: "Mask legend" });
  const volumes = (await legend.textContent())?.replace(/\s+/g, " ");
  await page.reload();
  await expect(page.getByText(/ ready$/)).toBeVisible({ timeout: 60_000 });
  await openSample(page, /Synthetic PD/);
  await page.getByLabel("Load adapter…").setInputFiles([configPath, weightsPath]);
  await expect(page.getByLabel("Adapter", { exact: true })).toHaveValue("my-pd-site (file)");
  await segment(page);
  expect((await legend.textContent())?.replace(/\s+/g, " ")).toBe(volumes);
});
