import { writeFileSync } from "node:fs";
import { LABEL_FORMATS, writeNifti } from "../src/core/io";
import { expect, openApp, segment, test, tinyLabel, tinyScan } from "./fixtures";

test("a reference that does not share the scan's world space, or is not a label map, is refused; the mask, the reference and its Dice stay", async ({ page }, info) => {
  await openApp(page);
  const scan = info.outputPath("tiny.nii.gz");
  writeFileSync(scan, tinyScan());
  await page.getByLabel("Open scan").setInputFiles(scan);
  await expect(page.getByText("tiny.nii.gz", { exact: true })).toBeVisible();
  await segment(page);

  // the picker offers every format a label may be in
  const offered = (await page.getByLabel("Open reference label").getAttribute("accept"))?.split(",");
  expect(offered?.sort()).toEqual(LABEL_FORMATS.flatMap((f) => f.extensions).sort());

  // its label map (model classes) on the same grid: Dice is computed
  const same = info.outputPath("same.nii.gz");
  writeFileSync(same, tinyLabel());
  await page.getByLabel("Open reference label").setInputFiles(same);
  await expect(page.getByLabel("Label convention")).toHaveValue("classes");
  const table = page.getByRole("table", { name: "Dice" });
  await expect(table.getByRole("row", { name: /^Mean/ })).toBeVisible();

  // 500 mm away: no overlap, a message that says why, and the earlier result is kept.
  const far = info.outputPath("far.nii.gz");
  writeFileSync(far, tinyLabel(500));
  await page.getByLabel("Open reference label").setInputFiles(far);
  const alert = page.getByRole("alert").filter({ hasText: "cannot be compared" });
  await expect(alert).toBeVisible();
  await expect(alert).toContainText("far.nii.gz was not loaded: The reference label covers none of the scan in world space");
  await expect(alert).toContainText("The reference same.nii.gz stays.");
  await expect(page.getByText("Reference: same.nii.gz")).toBeVisible();
  await expect(table.getByRole("row", { name: /^Mean/ })).toBeVisible();
  await expect(page.getByRole("group", { name: "Segmentation result" })).toBeVisible();

  // a probability map on the scan's grid: not a label map, refused the same way
  const probabilities = info.outputPath("probabilities.nii");
  const data = Float32Array.from({ length: 32 * 32 * 6 }, (_, i) => (i % 3) * 0.37);
  writeFileSync(probabilities, writeNifti({ dims: [32, 32, 6], affine: [1, 0, 0, -16, 0, 1, 0, -16, 0, 0, 1, -3, 0, 0, 0, 1], data }, { gzip: false }));
  await page.getByLabel("Open reference label").setInputFiles(probabilities);
  await expect(alert).toContainText("probabilities.nii was not loaded: The reference holds values that are not whole numbers (0.370)");
  await expect(page.getByText("Reference: same.nii.gz")).toBeVisible();
  await expect(page.getByText("tiny.nii.gz", { exact: true })).toBeVisible();
});
