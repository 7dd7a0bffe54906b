import { writeNifti } from "../src/core/io";
import { expect, openApp, openScan, screenshot, segment, test } from "./fixtures";

// Issue 12 part 1 in the app: a result that cannot be trusted is never a plain "Done".
const scan = (name: string, value: (i: number) => number) => {
  const dims: [number, number, number] = [32, 32, 6];
  const data = Float32Array.from({ length: 32 * 32 * 6 }, (_, i) => value(i));
  return { name, mimeType: "application/octet-stream", buffer: Buffer.from(writeNifti({ dims, affine: [1, 0, 0, -16, 0, 1, 0, -16, 0, 0, 1, -3, 0, 0, 0, 1], data }, { gzip: false })) };
};

test("bad voxels are reported beside the result; an empty scan is refused before any work", async ({ page }) => {
  await openApp(page);
  // an ellipsoid with a NaN every 50 voxels
  await openScan(page, scan("nan.nii", (i) => (i % 50 === 3 ? NaN : Math.hypot((i % 32) - 15.5, (Math.floor(i / 32) % 32) - 15.5) < 12 ? 100 : 0)));
  await segment(page);
  const warning = page.getByRole("alert").filter({ hasText: "Check this mask" });
  await expect(warning).toContainText(/123 voxels were not a number \(NaN or infinite, 2\.00% of the scan\) and were filled in from the neighbouring voxels/);
  await screenshot(page, "warning-nan");

  // an empty scan: refused before any work, with what to do; the earlier mask stays
  await openScan(page, scan("flat.nii", () => 7));
  await page.getByRole("button", { name: "Segment", exact: true }).click();
  await expect(page.getByRole("alert")).toContainText("Every voxel of the scan is 7: the image is empty, so there is nothing to segment.");
  await screenshot(page, "refused-empty");
});

test("a 4D file: the user picks the volume; the result says which one it is", async ({ page }) => {
  await openApp(page);
  // two volumes of one grid: an ellipsoid, then the same ellipsoid brighter
  const value = (i: number) => (Math.hypot((i % 32) - 15.5, (Math.floor(i / 32) % 32) - 15.5) < 12 ? 100 : Math.hypot((i % 32) - 15.5, (Math.floor(i / 32) % 32) - 15.5) < 14 ? 40 : 0);
  const first = scan("series.nii", value).buffer;
  const frame = Buffer.from(Float32Array.from({ length: 32 * 32 * 6 }, (_, i) => 1.5 * value(i)).buffer);
  const both = Buffer.concat([first, frame]);
  both.writeInt16LE(4, 40); // dim[0] = 4
  both.writeInt16LE(2, 48); // dim[4] = 2 volumes
  await openScan(page, { name: "series.nii", mimeType: "application/octet-stream", buffer: both });
  const volume = page.getByLabel("Volume of the 4D file");
  await expect(volume).toHaveValue("0");
  await segment(page);
  const warning = page.getByRole("alert").filter({ hasText: "Check this mask" });
  await expect(warning).toContainText('The file holds 2 volumes (4D); volume 1 was segmented; choose another under "Volume" (app) or with --volume N (CLI).');
  await volume.selectOption("1");
  await expect(page.getByRole("group", { name: "Segmentation result" })).toHaveCount(0); // that mask was of the other volume
  await segment(page);
  await expect(warning).toContainText("volume 2 was segmented");
  await screenshot(page, "4d-volume");
});
