import { expect, openApp, openSample, screenshot, segment, test } from "./fixtures";

/** Mean Dice as the table shows it. */
async function meanDice(page: import("@playwright/test").Page): Promise<number> {
  const row = page.getByRole("table", { name: "Dice" }).getByRole("row", { name: /^Mean/ });
  await expect(row).toContainText(/\d\.\d{3}/);
  return Number(((await row.textContent()) ?? "").match(/\d\.\d{3}/)?.[0]);
}

test("the manifest's extra passes: on by default as it says, their cost shown, switched off for a faster, different mask", async ({ page }) => {
  await openApp(page);
  await openSample(page, /Synthetic PD/);
  const options = page.getByRole("group", { name: "Inference options" });
  const flip = options.getByRole("checkbox", { name: /mirrored left–right/ });
  const planes = options.getByRole("checkbox", { name: /sagittal and coronal/ });
  await expect(flip).toBeChecked(); // the shipped manifest's default
  await expect(planes).not.toBeChecked();
  // before any run the cost is counted in runs of the model: with the mirror on, two more planes are four more runs
  await expect(options.getByText("+1 run of the model")).toBeVisible();
  await expect(options.getByText("+4 runs of the model")).toBeVisible();

  await segment(page);
  const result = page.getByRole("group", { name: "Segmentation result" });
  await expect(result.getByLabel("Result passes")).toHaveText("2: plain + the scan mirrored left–right");
  // now in seconds, from this run
  await expect(options.getByText(/^\+\d+\.\d s$/)).toHaveCount(2);
  const withFlip = await meanDice(page);
  await screenshot(page, "inference-options");

  await flip.uncheck();
  await expect(options.getByText("+2 runs of the model").or(options.getByText(/^\+\d+\.\d s$/))).toHaveCount(2);
  await segment(page);
  await expect(result.getByLabel("Result passes")).toHaveText("1 (no extra passes)");
  const plain = await meanDice(page);
  console.log(`synthetic PD with its adapter, mean Dice: plain ${plain}, with the mirrored pass ${withFlip}`);
  expect(plain).not.toBe(withFlip);

  // the choice holds for the next runs; the disabled state while running
  await page.getByRole("button", { name: "Segment", exact: true }).click();
  await expect(flip).toBeDisabled();
  await expect(page.getByRole("status").filter({ hasText: /^Done in/ })).toBeVisible({ timeout: 120_000 });
  await expect(flip).not.toBeChecked();
});
