import { readFileSync } from "node:fs";
import { dataPath, expect, hasData, missingDataMessage, openApp, openScan, pixelStats, screenshot, test } from "./fixtures";

const SCAN = "niivue_fs/norm.mgz";

test.describe("viewer", () => {
  test.skip(!hasData(SCAN), missingDataMessage(SCAN));

  test("views, slice scrolling, window/level and the cursor readout", async ({ page }) => {
    await openApp(page, { waitForModel: false });
    await openScan(page, dataPath(SCAN));
    // the first drawing of a 256³ scan holds the page for seconds under software WebGL (24 s on a
    // loaded 2-core machine, past an action's timeout): the clicks start once a frame is painted
    await page.evaluate(() => new Promise((painted) => requestAnimationFrame(() => requestAnimationFrame(painted))));
    const canvas = page.getByLabel("Scan viewer");
    const slice = page.getByLabel("Current slice");
    const cursor = page.getByLabel("Cursor");
    await expect(slice).toHaveText(/Axial slice \d+ \/ 255/);

    // One view at a time, bound to the store.
    for (const name of ["Axial", "Coronal", "Sagittal", "3D", "Multiplanar"]) {
      await page.getByRole("button", { name, exact: true }).click();
      await expect(page.getByRole("button", { name, exact: true })).toHaveAttribute("aria-pressed", "true");
    }
    await page.getByRole("button", { name: "Axial", exact: true }).click();
    await expect(slice).toHaveText(/^Axial slice/);
    await page.waitForTimeout(300);
    await screenshot(page, "04-axial");

    // Mouse wheel over the slice scrolls through slices.
    const before = await slice.textContent();
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let i = 0; i < 5; i++) await page.mouse.wheel(0, -100);
    await expect(slice).not.toHaveText(before!);

    // Arrow keys step through slices too (canvas focused).
    await canvas.focus();
    const beforeKeys = Number((await slice.textContent())!.match(/slice (\d+)/)![1]);
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("ArrowUp");
    await expect(slice).not.toHaveText(new RegExp(`slice ${beforeKeys} `));
    const afterKeys = Number((await slice.textContent())!.match(/slice (\d+)/)![1]);
    expect(Math.abs(afterKeys - beforeKeys)).toBe(3);

    // A click moves the crosshair: the voxel and value under it are shown.
    await canvas.click({ position: { x: box.width / 2 + 40, y: box.height / 2 - 30 } });
    await expect(cursor).toContainText(/Voxel \d+, \d+, \d+ · value [\d.]+/);

    // Window/level from the inputs changes what is drawn.
    const min = page.getByLabel("Window min");
    const max = page.getByLabel("Window max");
    await expect(max).not.toHaveValue("");
    const litBefore = (await pixelStats(page, canvas, [])).lit;
    await max.fill("20");
    await expect.poll(async () => (await pixelStats(page, canvas, [])).lit).toBeGreaterThan(litBefore * 1.05);
    await min.fill("0");

    // Right-drag is niivue's window/level: the inputs follow it.
    const maxBefore = await max.inputValue();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down({ button: "right" });
    await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height / 2 + 60, { steps: 5 });
    await page.mouse.up({ button: "right" });
    await expect(max).not.toHaveValue(maxBefore);
  });

  test("drag and drop anywhere on the page opens the scan", async ({ page }) => {
    await openApp(page, { waitForModel: false });
    const b64 = readFileSync(dataPath(SCAN)).toString("base64");
    const transfer = await page.evaluateHandle((b64) => {
      const bin = atob(b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], "dropped.mgz"));
      return dt;
    }, b64);
    // Dropped on the sidebar, not the canvas: the whole page is a drop target.
    const target = page.getByRole("complementary", { name: "Controls" });
    await target.dispatchEvent("dragenter", { dataTransfer: transfer });
    await expect(page.getByText("Drop to open the scan")).toBeVisible();
    await target.dispatchEvent("dragover", { dataTransfer: transfer });
    await target.dispatchEvent("drop", { dataTransfer: transfer });
    await expect(page.getByText("Drop to open the scan")).toHaveCount(0);
    await expect(page.getByText("dropped.mgz", { exact: true })).toBeVisible();
    await expect(page.getByLabel("Cursor")).toContainText("Voxel", { timeout: 30_000 });
  });
});
