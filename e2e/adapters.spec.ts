import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { dataPath, expect, hasData, missingDataMessage, openApp, openScan, screenshot, segment, test } from "./fixtures";

const adapterDir = path.resolve("public/models/siteseg-tissue/adapters/spm152");

async function meanDice(page: import("@playwright/test").Page): Promise<number> {
  const row = page.getByRole("table", { name: "Dice" }).getByRole("row", { name: /^Mean/ });
  const text = (await row.textContent()) ?? "";
  return Number(/(\d\.\d{3})/.exec(text)?.[1]);
}

test.describe("site adapters", () => {
  test.skip(!hasData("spm152/avg152T1.nii", "spm152/tissue.nii.gz"), missingDataMessage("spm152/avg152T1.nii", "spm152/tissue.nii.gz"));

  test("switching to the site's adapter changes Dice, on the same inference session", async ({ page }) => {
    await openApp(page);
    await openScan(page, dataPath("spm152/avg152T1.nii"));
    await page.getByLabel("Open reference label").setInputFiles(dataPath("spm152/tissue.nii.gz"));

    await segment(page);
    const result = page.getByRole("group", { name: "Segmentation result" });
    await expect(result.getByLabel("Result adapter")).toHaveText("none (base)");
    const base = await meanDice(page);
    const baseSession = await result.getAttribute("data-session-id");

    await page.getByLabel("Adapter", { exact: true }).selectOption("spm152");
    await expect(page.getByText(/[\d,]+ parameters/)).toBeVisible();
    await segment(page);
    await expect(result.getByLabel("Result adapter")).toHaveText("spm152");
    const adapted = await meanDice(page);
    console.log(`SPM T1 mean Dice: base ${base}, spm152 adapter ${adapted}`);
    expect(adapted).toBeGreaterThan(base + 0.05);
    // the runtime reused its session: the worker reports the same session id
    expect(await result.getAttribute("data-session-id")).toBe(baseSession);
    await screenshot(page, "adapter-spm152");

    // An adapter trained for another base is refused; the adapter, mask and Dice stay.
    const dir = mkdtempSync(path.join(tmpdir(), "siteseg-adapter-"));
    const config = JSON.parse(readFileSync(path.join(adapterDir, "adapter_config.json"), "utf8"));
    writeFileSync(path.join(dir, "adapter_config.json"), JSON.stringify({ ...config, base_model_name_or_path: "another-base" }));
    writeFileSync(path.join(dir, "adapter_model.safetensors"), readFileSync(path.join(adapterDir, "adapter_model.safetensors")));
    await page.getByLabel("Load adapter…").setInputFiles([path.join(dir, "adapter_config.json"), path.join(dir, "adapter_model.safetensors")]);
    await expect(page.getByRole("alert").filter({ hasText: 'trained for base model "another-base"' })).toBeVisible();
    await expect(page.getByLabel("Adapter", { exact: true })).toHaveValue("spm152");
    expect(await meanDice(page)).toBe(adapted);

    // The same files with the right base load from disk and become selectable.
    writeFileSync(path.join(dir, "adapter_config.json"), JSON.stringify(config));
    await page.getByLabel("Load adapter…").setInputFiles([path.join(dir, "adapter_config.json"), path.join(dir, "adapter_model.safetensors")]);
    await expect(page.getByLabel("Adapter", { exact: true })).toHaveValue("spm152 (file)");
  });
});
