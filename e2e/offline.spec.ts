import { expect, openApp, screenshot, segment, test } from "./fixtures";

// The service worker precaches the whole bundle on the first visit.
test.use({ serviceWorkers: "allow" });

test("after one visit the app loads, segments and saves with the network off, cross-origin isolated", async ({ page, context, requests }) => {
  test.setTimeout(300_000);
  await openApp(page);
  // the first visit installs the service worker; it takes control once everything is cached
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener("controllerchange", r, { once: true }));
  });

  await context.setOffline(true);
  await page.reload();
  await openApp(page);
  expect(await page.evaluate(() => navigator.onLine)).toBe(false);
  // isolation survives the cache (COOP/COEP kept on the cached page): WASM runs threaded
  expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
  await expect(page.getByText(/wasm \(2 threads\)|wasm \(\d+ threads\)/)).toBeVisible();

  await page.getByRole("button", { name: "Open sample" }).click();
  await page.getByRole("menu", { name: "Sample sites" }).getByRole("menuitem", { name: /Synthetic PD/ }).click();
  await expect(page.getByLabel("Cursor")).toContainText("Voxel", { timeout: 30_000 });
  await segment(page);
  await expect(page.getByRole("table", { name: /Dice/ }).first()).toBeVisible();
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Save mask (.nii.gz)" }).click();
  expect((await download).suggestedFilename()).toMatch(/\.nii\.gz$/);
  await screenshot(page, "offline");
  // offline, every request was answered by the service worker from this origin (the guard checks the origin)
  expect(requests.some((u) => u.endsWith("/model.onnx"))).toBe(true);
});
