import type { Page } from "@playwright/test";
import path from "node:path";
import { expect, openApp, openSample, SCREENS, screenshot, test } from "./fixtures";

const SIZES = [
  { width: 1440, height: 900 },
  { width: 1280, height: 720 },
  { width: 1024, height: 768 },
];

/** What a bar's controls occupy: each visible control's box, and whether its text fits it. */
async function controlsOf(page: Page, toolbar: string) {
  return page.getByRole("toolbar", { name: toolbar }).evaluate((bar) => {
    const controls = Array.from(bar.querySelectorAll<HTMLElement>("button, input, select")).filter((e) => e.offsetParent !== null);
    const box = bar.getBoundingClientRect();
    return {
      bar: { top: box.top, bottom: box.bottom, left: box.left, right: box.right },
      controls: controls.map((e) => {
        const r = e.getBoundingClientRect();
        const name = e.getAttribute("aria-label") ?? e.textContent ?? "";
        // the topmost element at the control's centre is the control (or inside it): nothing covers it
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return { name, tag: e.tagName, top: r.top, bottom: r.bottom, left: r.left, right: r.right, uncovered: !!hit && (hit === e || e.contains(hit)), fits: e.scrollWidth <= e.clientWidth };
      }),
    };
  });
}

// One scroll region: the page is one screen tall, the toolbars and the viewer stay in place and
// only the side panel scrolls; the toolbars stay one row with every control on screen; the cursor
// readout is never cut. A compared sample with the brush chosen: every bar at its fullest.
test("the viewer fits one screen at 1440×900, 1280×720 and 1024×768: one scroll region, one-row toolbars, a whole cursor readout", async ({ page }) => {
  test.setTimeout(300_000);
  await openApp(page);
  await openSample(page, /Synthetic PD/);
  await page.getByRole("button", { name: "Compare base and synth-pd" }).click();
  await expect(page.getByRole("status").filter({ hasText: /^Done in/ })).toBeVisible({ timeout: 240_000 });
  await expect(page.getByRole("group", { name: "Per-slice Dice" })).toBeVisible();
  await page.getByRole("button", { name: "Brush", exact: true }).click();
  await expect(page.getByRole("radio", { name: /^Paint / }).first()).toBeVisible();
  // the cursor on the scan: the readout's longest form (voxel, value, class, mm)
  const canvas = page.getByLabel("Scan viewer");
  await page.getByRole("button", { name: "Navigate", exact: true }).click();
  await canvas.click();
  await page.getByRole("button", { name: "Brush", exact: true }).click();
  const cursor = page.getByRole("note", { name: "Cursor" });
  await expect(cursor).toContainText(/Voxel \d+, \d+, \d+ · value [\d.]+ · \w+ · /);

  for (const { width, height } of SIZES) {
    await test.step(`${width}×${height}`, async () => {
      await page.setViewportSize({ width, height });
      await page.waitForTimeout(500); // niivue redraws on resize
      const size = `${width}x${height}`;

      // The document does not scroll, either way.
      const doc = await page.evaluate(() => ({ scrollHeight: document.documentElement.scrollHeight, scrollWidth: document.documentElement.scrollWidth, innerHeight, innerWidth }));
      expect(doc.scrollHeight, `${size}: the page's height`).toBeLessThanOrEqual(doc.innerHeight);
      expect(doc.scrollWidth, `${size}: the page's width`).toBeLessThanOrEqual(doc.innerWidth);

      // Each toolbar is one row, every control on screen, uncovered, its label whole.
      for (const name of ["Viewer toolbar", "Correction toolbar", "Comparison toolbar"]) {
        const { bar, controls } = await controlsOf(page, name);
        expect(controls.length, `${size}: ${name}'s controls`).toBeGreaterThan(2);
        // one row: every control spans a common line (a wrapped control would start below another's bottom)
        const lowestTop = Math.max(...controls.map((c) => c.top));
        const highestBottom = Math.min(...controls.map((c) => c.bottom));
        expect(lowestTop, `${size}: ${name}'s controls on one row`).toBeLessThan(highestBottom);
        for (const c of controls) {
          const where = `${size}: ${name}'s "${c.name}"`;
          expect(c.left, where).toBeGreaterThanOrEqual(Math.max(0, bar.left));
          expect(c.right, where).toBeLessThanOrEqual(Math.min(width, bar.right));
          expect(c.top, where).toBeGreaterThanOrEqual(Math.max(0, bar.top));
          expect(c.bottom, where).toBeLessThanOrEqual(Math.min(height, bar.bottom));
          expect(c.uncovered, `${where} is not covered`).toBe(true);
          if (c.tag === "BUTTON") expect(c.fits, `${where}'s label fits`).toBe(true);
        }
      }

      // The cursor readout is whole, and so is the current slice.
      for (const note of [cursor, page.getByRole("note", { name: "Current slice" })]) {
        await expect(note).toBeVisible();
        const clip = await note.evaluate((e) => ({ scroll: e.scrollWidth, client: e.clientWidth, text: e.textContent }));
        expect(clip.scroll, `${size}: "${clip.text}" is not cut`).toBeLessThanOrEqual(clip.client);
      }

      // The side panel is the one scroll region: scrolling it leaves the toolbar and the viewer in place.
      const panel = page.getByRole("complementary", { name: "Controls" });
      const toolbar = page.getByRole("toolbar", { name: "Viewer toolbar" });
      const before = [(await toolbar.boundingBox())!, (await canvas.boundingBox())!];
      const scroll = await panel.evaluate((e) => ({ scrollHeight: e.scrollHeight, clientHeight: e.clientHeight, overflow: getComputedStyle(e).overflowY }));
      expect(scroll.overflow).toBe("auto");
      expect(scroll.scrollHeight, `${size}: the side panel holds more than it shows`).toBeGreaterThan(scroll.clientHeight);
      await screenshot(page, `layout-${size}`);
      await panel.evaluate((e) => e.scrollTo(0, e.scrollHeight));
      await expect.poll(() => panel.evaluate((e) => e.scrollTop)).toBeGreaterThan(0);
      expect([(await toolbar.boundingBox())!, (await canvas.boundingBox())!]).toEqual(before);
      expect(await page.evaluate(() => document.scrollingElement!.scrollTop)).toBe(0);
      await screenshot(page, `layout-${size}-panel-scrolled`);
      await panel.evaluate((e) => e.scrollTo(0, 0));
    });
  }

  // The per-slice chart (one result): a Dice axis, and the slice pointed at read out class by class.
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.getByRole("button", { name: "Close comparison" }).click();
  const chart = page.getByRole("group", { name: "Per-slice Dice" });
  await chart.scrollIntoViewIfNeeded();
  await expect(chart).toContainText("0.75");
  const bar = chart.locator("rect[data-slice]").nth(20);
  const index = Number(await bar.getAttribute("data-slice"));
  await bar.hover();
  await expect(chart).toContainText(new RegExp(`Slice ${index}: Dice \\d\\.\\d{3} \\(CSF (\\d\\.\\d{3}|absent) · GM \\d\\.\\d{3} · WM \\d\\.\\d{3}\\)`));
  await chart.screenshot({ path: path.join(SCREENS, "layout-per-slice-chart.png") });

  // The site study's screen is one screen tall too: its view scrolls within.
  await page.getByRole("tab", { name: "Site study" }).click();
  for (const { width, height } of SIZES) {
    await page.setViewportSize({ width, height });
    expect(await page.evaluate(() => document.documentElement.scrollHeight), `the study at ${width}×${height}`).toBeLessThanOrEqual(height);
  }
});
