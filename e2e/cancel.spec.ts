import { dataPath, expect, hasData, missingDataMessage, openApp, openScan, segment, test } from "./fixtures";

const SCAN = "niivue_fs/norm.mgz";
const SMALL = "spm152/avg152T1.nii";

test.describe("cancel", () => {
  test.skip(!hasData(SCAN, SMALL), missingDataMessage(SCAN, SMALL));

  test("cancel stops the run at once and the app stays usable", async ({ page }) => {
    await openApp(page);
    await openScan(page, dataPath(SCAN));
    const segmentButton = page.getByRole("button", { name: "Segment", exact: true });
    const cancel = page.getByRole("button", { name: "Cancel", exact: true });
    const bar = page.getByRole("progressbar", { name: "Segmentation progress" });
    // the Segmentation panel's status line (the correction toolbar has a status of its own)
    const status = page.getByRole("region", { name: "Segmentation" }).getByRole("status");
    const progressed = async () => Number(await bar.getAttribute("aria-valuenow"));

    await segmentButton.click();
    await expect(segmentButton).toBeDisabled();
    await expect(cancel).toBeEnabled();
    await expect.poll(progressed, { timeout: 120_000 }).toBeGreaterThan(0);

    const t0 = Date.now();
    await cancel.click();
    await expect(status).toHaveText("Cancelled", { timeout: 1000 });
    await expect(segmentButton).toBeEnabled({ timeout: 1000 });
    console.log(`cancelled in ${Date.now() - t0} ms`);
    await expect(cancel).toBeDisabled();
    await expect(page.getByRole("alert")).toHaveCount(0);
    // The cancelled run never delivers a result later.
    const stopped = await progressed();
    await page.waitForTimeout(2000);
    expect(await progressed()).toBe(stopped);
    await expect(page.getByLabel("Segmentation result")).toHaveCount(0);

    // Segment again: a fresh worker starts and makes progress.
    await segmentButton.click();
    await expect(status).not.toHaveText("Cancelled");
    await expect.poll(progressed, { timeout: 120_000 }).toBeGreaterThan(0);

    // Opening another scan during the run cancels it cleanly.
    await openScan(page, dataPath(SMALL));
    await expect(cancel).toBeDisabled({ timeout: 1000 });
    await expect(segmentButton).toBeEnabled();
    await expect(page.getByRole("alert")).toHaveCount(0);
    await expect(bar).toHaveAttribute("aria-valuenow", "0");
    await page.waitForTimeout(2000);
    await expect(page.getByLabel("Segmentation result")).toHaveCount(0);

    // ... and the new scan segments to completion.
    const ms = await segment(page);
    console.log(`segmentation of ${SMALL} took ${(ms / 1000).toFixed(1)} s`);
    await expect(page.getByLabel("Segmentation result")).toBeVisible();
    await expect(page.getByRole("alert")).toHaveCount(0);
  });
});
