import { writeFileSync } from "node:fs";
import { expect, openApp, segment, test, tinyScan } from "./fixtures";

test("a reference that does not share the scan's world space is refused; the mask and Dice stay", async ({ page }, info) => {
  await openApp(page);
  const scan = info.outputPath("tiny.nii.gz");
  writeFileSync(scan, tinyScan());
  await page.getByLabel("Open scan").setInputFiles(scan);
  await expect(page.getByText("tiny.nii.gz", { exact: true })).toBeVisible();
  await segment(page);

  // The scan itself as a "reference": same grid, so Dice is computed (values as model classes).
  const same = info.outputPath("same.nii.gz");
  writeFileSync(same, tinyScan());
  await page.getByLabel("Open reference label").setInputFiles(same);
  await page.getByLabel("Label convention").selectOption("classes");
  const table = page.getByRole("table", { name: "Dice" });
  await expect(table.getByRole("row", { name: /^Mean/ })).toBeVisible();

  // 500 mm away: no overlap, a message that says why, and the earlier result is kept.
  const far = info.outputPath("far.nii.gz");
  writeFileSync(far, tinyScan(500));
  await page.getByLabel("Open reference label").setInputFiles(far);
  const alert = page.getByRole("alert").filter({ hasText: "cannot be compared" });
  await expect(alert).toBeVisible();
  await expect(alert).toContainText("0% of the scan in world space");
  await expect(page.getByRole("group", { name: "Segmentation result" })).toBeVisible();
  await expect(page.getByText("tiny.nii.gz", { exact: true })).toBeVisible();
});
