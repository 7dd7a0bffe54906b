import { expect, openApp, openScan, segment, test, tinyScan } from "./fixtures";

// The page's ?threads=N sets the WASM threads inference uses (for example 1, to leave the other
// cores to the rest of the workstation); the bench times the sample with it.
test("?threads=1 in the address runs inference on one WASM thread, and says so", async ({ page }) => {
  await openApp(page, { query: "?threads=1" });
  await expect(page.getByLabel("Backend in use")).toHaveText(/wasm \(1 thread\)/);
  await openScan(page, { name: "tiny.nii.gz", mimeType: "application/gzip", buffer: Buffer.from(tinyScan()) });
  await segment(page);
  await expect(page.getByLabel("Segmentation result")).toContainText("wasm (1 thread)");
});
