import type { Page } from "@playwright/test";
import { currentSlice, expect, openApp, pixelStats, screenshot, shippedClasses, test } from "./fixtures";

/**
 * Two screenshots of one size compared: the pixels that differ, how many of those lie within 4 px
 * of the disagreement's outline, and the outline's pixels in each (translucent magenta over the
 * scan: red and blue well above green, as 0.6 magenta over any grey is).
 */
async function compareShots(page: Page, a: Buffer, b: Buffer): Promise<{ changed: number; nearOutline: number; outline: [number, number] }> {
  return page.evaluate(
    async ([a64, b64]) => {
      const pixels = async (b64: string) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const bmp = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
        const ctx = new OffscreenCanvas(bmp.width, bmp.height).getContext("2d")!;
        ctx.drawImage(bmp, 0, 0);
        return { w: bmp.width, h: bmp.height, px: ctx.getImageData(0, 0, bmp.width, bmp.height).data };
      };
      const [pa, pb] = [await pixels(a64), await pixels(b64)];
      const { w, h } = pa;
      const magenta = (px: Uint8ClampedArray, p: number) => px[p] - px[p + 1] > 100 && px[p + 2] - px[p + 1] > 100 && Math.abs(px[p] - px[p + 2]) < 40;
      const outline = new Uint8Array(w * h);
      const counts: [number, number] = [0, 0];
      for (let p = 0; p < w * h; p++) {
        const [ia, ib] = [magenta(pa.px, p * 4), magenta(pb.px, p * 4)];
        counts[0] += +ia;
        counts[1] += +ib;
        if (ia || ib) outline[p] = 1;
      }
      let changed = 0;
      let nearOutline = 0;
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const p = (y * w + x) * 4;
          if (Math.abs(pa.px[p] - pb.px[p]) + Math.abs(pa.px[p + 1] - pb.px[p + 1]) + Math.abs(pa.px[p + 2] - pb.px[p + 2]) < 30) continue;
          changed++;
          search: for (let dy = -4; dy <= 4; dy++)
            for (let dx = -4; dx <= 4; dx++) {
              const [u, v] = [x + dx, y + dy];
              if (u >= 0 && v >= 0 && u < w && v < h && outline[v * w + u]) {
                nearOutline++;
                break search;
              }
            }
        }
      return { changed, nearOutline, outline: counts };
    },
    [a.toString("base64"), b.toString("base64")],
  );
}

/** The outline's pixels in a screenshot. */
const outlinePixels = async (page: Page, shot: Buffer) => (await compareShots(page, shot, shot)).outline[0];

test("open a sample site, compare base and its adapter: two masks, two Dice columns, two curves", async ({ page }) => {
  await openApp(page);
  await page.getByRole("button", { name: "Open sample" }).click();
  const menu = page.getByRole("menu", { name: "Sample sites" });
  await expect(menu.getByRole("menuitem")).toHaveCount(5);
  await expect(menu.getByRole("menuitem", { name: /synthetic/i })).toHaveCount(2);
  await screenshot(page, "sample-menu");
  await menu.getByRole("menuitem", { name: /FreeSurfer T1/ }).click();

  // The sample brings its scan, its reference label (convention set) and its adapter.
  await expect(page.getByLabel("Sample site")).toContainText("FreeSurfer T1");
  await expect(page.getByLabel("Cursor")).toContainText("Voxel", { timeout: 30_000 });
  await expect(page.getByText(/Reference: aparc\.a2009s\+aseg\.mgz/)).toBeVisible();
  await expect(page.getByLabel("Adapter", { exact: true })).toHaveValue("niivue-t1");

  await page.getByRole("button", { name: "Compare base and niivue-t1" }).click();
  await expect(page.getByRole("button", { name: "Comparing base and niivue-t1…" })).toBeDisabled();
  // the whole wait, each run apart (not the adapter's run alone); the button is back to what it does
  await expect(page.getByRole("status").filter({ hasText: /^Done in/ })).toHaveText(/^Done in [\d.]+ s: base [\d.]+ s, niivue-t1 [\d.]+ s$/, { timeout: 300_000 });
  await expect(page.getByRole("button", { name: "Compare base and niivue-t1" })).toBeEnabled();
  const shown = page.getByRole("group", { name: "Mask shown" });
  await expect(shown.getByRole("button", { name: "Base + niivue-t1" })).toHaveAttribute("aria-pressed", "true");

  // Two Dice columns and the difference.
  const table = page.getByRole("table", { name: "Dice" });
  await expect(table.getByRole("columnheader")).toHaveText(["Class", "Base", "+ niivue-t1", "Δ", "Ref. mL"]);
  const mean = (await table.getByRole("row", { name: /^Mean/ }).textContent()) ?? "";
  const [base, adapted] = [...mean.matchAll(/\d\.\d{3}/g)].map((m) => Number(m[0]));
  console.log(`niivue-t1 sample: base ${base}, adapter ${adapted} (${mean})`);
  expect(base).toBeGreaterThan(0.8);
  expect(adapted).toBeGreaterThan(base);

  // Two curves in the per-slice chart; a click moves the viewer.
  const chart = page.getByRole("group", { name: "Per-slice Dice" });
  await expect(chart.locator("path[data-series]")).toHaveCount(2);
  await expect(chart.getByRole("list", { name: "Curves" })).toContainText("Base + niivue-t1");
  const before = await currentSlice(page);
  const target = before > 100 ? before - 40 : before + 40;
  await chart.locator(`rect[data-col="${target}"]`).click();
  await expect.poll(() => currentSlice(page)).toBe(target);
  await expect(chart).toContainText(new RegExp(`Selected slice ${target}: Base \\d\\.\\d{3} · Base \\+ niivue-t1 \\d\\.\\d{3}`));

  // The disagreement overlay is drawn; both masks are drawn in turn, and differ.
  const canvas = page.getByLabel("Scan viewer");
  await page.getByRole("button", { name: "Axial", exact: true }).click();
  await expect(page.getByRole("note", { name: "Disagreement" })).toContainText(/[\d.]+ mL differ/);
  await expect.poll(async () => outlinePixels(page, await canvas.screenshot())).toBeGreaterThan(500);
  await screenshot(page, "compare-view");
  // With the overlay on, Base and Base + adapter differ inside the outlined region: each
  // differing voxel is drawn in the shown result's class.
  const adapterView = await canvas.screenshot();
  await shown.getByRole("button", { name: "Base", exact: true }).click();
  await expect(shown.getByRole("button", { name: "Base", exact: true })).toHaveAttribute("aria-pressed", "true");
  await expect.poll(async () => (await compareShots(page, adapterView, await canvas.screenshot())).changed).toBeGreaterThan(200);
  const baseView = await canvas.screenshot();
  await screenshot(page, "compare-view-base");
  const change = await compareShots(page, adapterView, baseView);
  console.log(`overlay on, Base vs Base + niivue-t1: ${change.changed} pixels changed, ${change.nearOutline} of them by the outline; outline ${change.outline.join(" / ")} pixels`);
  expect(change.nearOutline / change.changed).toBeGreaterThan(0.95);
  expect(change.outline[1]).toBeGreaterThan(500);
  await shown.getByRole("button", { name: "Base + niivue-t1" }).click();
  await expect.poll(async () => (await compareShots(page, adapterView, await canvas.screenshot())).changed).toBe(0);
  await page.getByRole("checkbox", { name: /Disagreement/ }).uncheck();
  await expect.poll(async () => outlinePixels(page, await canvas.screenshot())).toBeLessThan(20);
  const colours = shippedClasses().filter((c) => c.index > 0).map((c) => c.color);
  const adapterPixels = (await pixelStats(page, canvas, colours, 60)).near;
  await shown.getByRole("button", { name: "Base", exact: true }).click();
  await expect(shown.getByRole("button", { name: "Base", exact: true })).toHaveAttribute("aria-pressed", "true");
  await expect.poll(async () => (await pixelStats(page, canvas, colours, 60)).near.join()).not.toBe(adapterPixels.join());
  expect(adapterPixels.reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
  // T flips back to the adapter's mask, the same pixels as before.
  await canvas.press("t");
  await expect(shown.getByRole("button", { name: "Base + niivue-t1" })).toHaveAttribute("aria-pressed", "true");
  await expect.poll(async () => (await pixelStats(page, canvas, colours, 60)).near.join()).toBe(adapterPixels.join());
  await page.getByRole("table", { name: "Dice" }).scrollIntoViewIfNeeded();
  await screenshot(page, "compare-dice");

  // Choosing the base in the picker shows the kept base result, without running it again.
  await page.getByLabel("Adapter", { exact: true }).selectOption({ label: "None (base)" });
  await expect(page.getByRole("group", { name: "Segmentation result" }).getByLabel("Result adapter")).toHaveText("none (base)");
  await expect(page.getByRole("progressbar", { name: "Segmentation progress" })).not.toHaveAttribute("aria-valuenow", "0");
});
