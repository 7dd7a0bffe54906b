import { randomBytes } from "node:crypto";
import { FORMATS } from "../src/core/io/formats";
import { dataPath, expect, hasData, missingDataMessage, openApp, openScan, pixelStats, screenshot, test } from "./fixtures";

const SCAN = "niivue_fs/norm.mgz";

test.describe("bad input", () => {
  test.skip(!hasData(SCAN), missingDataMessage(SCAN));

  test("a corrupt file shows a clear alert and the loaded scan stays", async ({ page }) => {
    await openApp(page);
    await expect(page.getByRole("alert")).toHaveCount(0);
    await screenshot(page, "01-empty");
    const scanAlert = page.getByRole("alert").filter({ hasText: "could not be opened" });
    await expect(scanAlert).toHaveCount(0);

    await openScan(page, dataPath(SCAN));
    const canvas = page.getByLabel("Scan viewer");
    // Give niivue a frame to draw, then check the canvas is not blank.
    await expect.poll(async () => (await pixelStats(page, canvas, [])).lit, { timeout: 15_000 }).toBeGreaterThan(10_000);
    const before = await pixelStats(page, canvas, []);
    await screenshot(page, "02-scan-loaded");

    await page.getByLabel("Open scan").setInputFiles({ name: "broken.nii.gz", mimeType: "application/gzip", buffer: randomBytes(4096) });
    const alert = scanAlert;
    await expect(alert).toBeVisible();
    await expect(alert).toContainText("broken.nii.gz");
    await expect(alert).toContainText(/NIfTI|MGH/);
    await expect(alert).toContainText(/open it again|Choose/i);
    await screenshot(page, "03-bad-file");

    // The good scan is still the one shown: its name, its cursor, and a lit canvas.
    await expect(page.getByText("norm.mgz", { exact: true })).toBeVisible();
    await expect(page.getByText("broken.nii.gz", { exact: true })).toHaveCount(0);
    const after = await pixelStats(page, canvas, []);
    // (the alert row makes the canvas a little smaller: compare the lit fraction)
    expect(after.lit / after.total).toBeGreaterThan((before.lit / before.total) * 0.8);

    // Dismissing the alert leaves the scan in place.
    await page.getByRole("button", { name: "Dismiss message" }).click();
    await expect(scanAlert).toHaveCount(0);
    await expect(page.getByText("norm.mgz", { exact: true })).toBeVisible();
  });

  test("a file of another kind is refused with the accepted formats", async ({ page }) => {
    await openApp(page, { waitForModel: false });
    // the picker offers every format of the table (DICOM files included)
    const offered = (await page.getByLabel("Open scan").getAttribute("accept"))?.split(",");
    expect(offered?.sort()).toEqual(FORMATS.flatMap((f) => f.extensions).sort());
    await page.getByLabel("Open scan").setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not a scan at all") });
    await expect(page.getByRole("alert").filter({ hasText: "notes.txt" })).toContainText(".nii, .nii.gz, .mgh, .mgz");
    await expect(page.getByText(/No scan loaded/)).toBeVisible();
  });
});
