import { expect, openApp, openSample, screenshot, test } from "./fixtures";

// Issue 12 part 7: nothing is cancelled without saying so. Training learns from the scan in use,
// so opening another one ends the run, and the panel says why.

test("train panel: a new scan cancels training, and says so", async ({ page }) => {
  await openApp(page);
  await openSample(page, /FreeSurfer T1/);
  const panel = page.getByRole("region", { name: "Train site adapter" });
  await panel.getByRole("button", { name: "Train adapter" }).click();
  const bar = panel.getByRole("progressbar", { name: "Training progress" });
  await expect(bar).toHaveAttribute("aria-valuetext", /^Step [1-9]/, { timeout: 120_000 });
  await openSample(page, /Synthetic PD/);
  await expect(bar).toHaveAttribute("aria-valuetext", "Cancelled: a new scan was opened");
  await panel.scrollIntoViewIfNeeded();
  await screenshot(page, "train-cancelled-new-scan");
});
