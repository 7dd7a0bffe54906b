import type { Page } from "@playwright/test";
import { dataPath, expect, hasData, missingDataMessage, openApp, openScan, test, tinyScan } from "./fixtures";

// Issue 12 part 7: what the user does while a run is in flight never leaves a stale result.
const SCAN = "niivue_fs/norm.mgz";

/** Opens the 256³ T1 and starts segmenting it (about 9 s of run to interrupt). */
async function startRunOnT1(page: Page) {
  test.skip(!hasData(SCAN), missingDataMessage(SCAN));
  test.setTimeout(180_000);
  await openApp(page);
  await openScan(page, dataPath(SCAN));
  await page.getByRole("button", { name: "Segment", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: /^Segmenting with the base model/ })).toBeVisible({ timeout: 30_000 });
}

test("another scan opened mid-run cancels the run and says so; a double-click gives one run and one result", async ({ page }) => {
  await startRunOnT1(page);
  await openScan(page, { name: "tiny.nii.gz", mimeType: "application/gzip", buffer: Buffer.from(tinyScan()) });
  await expect(page.getByRole("status").filter({ hasText: /^Cancelled: a new scan was opened$/ })).toBeVisible();
  await expect(page.getByRole("group", { name: "Segmentation result" })).toHaveCount(0);
  // the cancelled run's result never lands on the new scan
  await page.waitForTimeout(3000);
  await expect(page.getByRole("group", { name: "Segmentation result" })).toHaveCount(0);

  await page.getByRole("button", { name: "Segment", exact: true }).dblclick();
  await expect(page.getByRole("status").filter({ hasText: /^Done in/ })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole("group", { name: "Segmentation result" })).toHaveCount(1);
  await expect(page.getByRole("alert")).toHaveCount(0);
});

test("reloading the page mid-run starts clean: no scan, no result, no error, and the next run works", async ({ page }) => {
  await startRunOnT1(page);
  await page.reload();
  await expect(page.getByText(/ ready$/)).toBeVisible({ timeout: 60_000 });
  // nothing of the interrupted run survives: no scan, no result, no status from before
  await expect(page.getByText("norm.mgz", { exact: true })).toHaveCount(0);
  await expect(page.getByText("Drop a brain MRI here")).toBeVisible();
  await expect(page.getByRole("group", { name: "Segmentation result" })).toHaveCount(0);
  await expect(page.getByRole("status").filter({ hasText: /^(Segmenting|Done in|Cancelled)/ })).toHaveCount(0);
  await openScan(page, { name: "tiny.nii.gz", mimeType: "application/gzip", buffer: Buffer.from(tinyScan()) });
  await page.getByRole("button", { name: "Segment", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: /^Done in/ })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole("group", { name: "Segmentation result" })).toHaveCount(1);
  await expect(page.getByRole("alert")).toHaveCount(0);
});
