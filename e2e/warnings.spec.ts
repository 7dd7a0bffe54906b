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
