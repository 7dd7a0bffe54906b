import { expect, openApp, openSample, screenshot, segment, test } from "./fixtures";

/** Mean Dice as the table shows it. */
async function meanDice(page: import("@playwright/test").Page): Promise<number> {
  const row = page.getByRole("table", { name: "Dice" }).getByRole("row", { name: /^Mean/ });
  await expect(row).toContainText(/\d\.\d{3}/);
  return Number(((await row.textContent()) ?? "").match(/\d\.\d{3}/)?.[0]);
}

test("the manifest's extra passes: off by default on WASM as the manifest says and why, their cost shown, switched on for a slower, different mask; the cleanup on by default, what it removed shown, and off on request", async ({ page }) => {
  await openApp(page);
  await openSample(page, /Synthetic PD/);
  const options = page.getByRole("group", { name: "Inference options" });
  const flip = options.getByRole("checkbox", { name: /mirrored left–right/ });
  const planes = options.getByRole("checkbox", { name: /sagittal and coronal/ });
  // on by default in the manifest, but off on WASM (the app's backend here), and the app says why
  await expect(page.getByLabel("Backend in use")).toContainText("wasm");
  await expect(flip).not.toBeChecked();
  await expect(flip).toHaveAccessibleDescription(/^Off by default on WASM: .*doubles the wait/);
  await expect(planes).not.toBeChecked();
  // the mask cleanup is on by default everywhere, and runs no model
  const cleanup = options.getByRole("checkbox", { name: "Remove tissue outside the brain" });
  await expect(cleanup).toBeChecked();
  await expect(options.getByText("no model run")).toBeVisible();
  // before any run the cost is counted in runs of the model; other planes are not for this
  // scan's 3 mm slices (the manifest's maxAnisotropy), and the option says so
  await expect(options.getByText("+1 run of the model")).toBeVisible();
  await expect(options.getByText("not for this scan")).toBeVisible();

  await segment(page);
  const result = page.getByRole("group", { name: "Segmentation result" });
  await expect(result.getByLabel("Result passes")).toHaveText("1 (no extra passes)");
  // what the cleanup took away, in the result and beside its option
  await expect(result.getByLabel("Result cleanup")).toHaveText(/^(nothing outside the brain to remove|[\d,]+ voxels? \([\d.,]+ mL\) in [\d,]+ pieces? removed outside the brain)(; [\d,]+ voxels? \([\d.,]+ mL\) in [\d,]+ holes? inside it filled)?$/);
  await expect(options.getByText(/^last run: [\d.,]+ mL removed$/)).toBeVisible();
  // now in seconds, from this run
  await expect(options.getByText(/^\+\d+\.\d s$/)).toHaveCount(1);
  const plain = await meanDice(page);

  await flip.check();
  await planes.check(); // asked for anyway: the run leaves it out and says why
  await cleanup.uncheck(); // the model's mask as it came
  await segment(page);
  await expect(result.getByLabel("Result passes")).toHaveText("2: plain + the scan mirrored left–right");
  await expect(result.getByLabel("Result cleanup")).toHaveText("off (the model's mask as it came)");
  await expect(result.getByLabel("Option skipped")).toHaveText("\"Also sagittal and coronal slices\" was skipped: this scan's voxels are 1.00 × 1.00 × 3.00 mm, sides 3.0× apart, and the model takes other planes only up to 2×.");
  const withFlip = await meanDice(page);
  await screenshot(page, "inference-options");
  console.log(`synthetic PD with its adapter, mean Dice: plain ${plain}, with the mirrored pass ${withFlip}`);
  expect(plain).not.toBe(withFlip);
  await planes.uncheck();

  // the choice holds for the next runs; the disabled state while running
  await page.getByRole("button", { name: "Segment", exact: true }).click();
  await expect(flip).toBeDisabled();
  await expect(page.getByRole("status").filter({ hasText: /^Done in/ })).toBeVisible({ timeout: 120_000 });
  await expect(flip).toBeChecked();
});

test("adapt to the scan without labels: base only, trains on the model's own mask with progress, then segments again", async ({ page }) => {
  test.setTimeout(400_000);
  await openApp(page);
  await openSample(page, /Synthetic PD/);
  const options = page.getByRole("group", { name: "Inference options" });
  const adapt = options.getByRole("checkbox", { name: /Adapt to this scan/ });
  // the sample selected its site adapter: adapting starts from the base, so not with it
  await expect(adapt).toBeDisabled();
  await expect(options.getByText("(base only)")).toBeVisible();
  await page.getByLabel("Adapter", { exact: true }).selectOption({ label: "None (base)" });
  await expect(adapt).toBeEnabled();
  await adapt.check();
  await expect(options.getByText(/^\+100 training steps, 1 run$/)).toBeVisible(); // one pass: the mirrored one is off by default on WASM

  await page.getByRole("button", { name: "Segment", exact: true }).click();
  await expect(page.getByRole("region", { name: "Segmentation" }).getByRole("status")).toHaveText(/^Adapting to this scan without labels: training on the model.s own mask, shown meanwhile…$/, { timeout: 120_000 });
  await expect(page.getByRole("progressbar", { name: "Segmentation progress" })).toContainText(/\d+ \/ 100 training steps/);
  await screenshot(page, "self-adapting");
  await expect(page.getByRole("status").filter({ hasText: /^Done in/ })).toBeVisible({ timeout: 360_000 });
  const result = page.getByRole("group", { name: "Segmentation result" });
  await expect(result.getByLabel("Result adapter")).toHaveText(/^adapted to this scan, no labels \(100 steps on slices [\d, ]+; [\d.]+ s\)$/);
  // now the options' costs are the measured ones (other planes: not for the PD's 3 mm slices)
  await expect(options.getByText(/^\+\d+\.\d s$/)).toHaveCount(2);
  await expect(options.getByText("not for this scan")).toBeVisible();
  const mean = page.getByRole("table", { name: "Dice" }).getByRole("row", { name: /^Mean/ });
  await expect(mean).toContainText(/\d\.\d{3}/);
  console.log(`synthetic PD, base adapted to the scan: ${(await mean.textContent())?.replace(/\s+/g, " ")}`);
});
