import { comboCaps, SHORTCUTS } from "../src/features/viewer/shortcuts";
import { currentSlice, expect, openApp, openSample, pixelStats, screenshot, test } from "./fixtures";

test("keyboard: slices, views, mask, segment and cancel, correction undo/redo, and the ? help that lists every shortcut", async ({ page }) => {
  test.setTimeout(300_000);
  await openApp(page);
  await openSample(page, /Synthetic PD/);
  const view = (name: string) => page.getByRole("button", { name, exact: true });
  const slice = page.getByLabel("Current slice");
  const status = page.getByRole("status").filter({ hasText: /^(Ready|Starting|Segmenting|Cancelled|Done)/ });

  // 1–5 switch views; the pressed button follows.
  for (const [key, name] of [["2", "Coronal"], ["3", "Sagittal"], ["5", "3D"], ["4", "Multiplanar"], ["1", "Axial"]]) {
    await page.keyboard.press(key);
    await expect(view(name)).toHaveAttribute("aria-pressed", "true");
  }
  await expect(slice).toHaveText(/^Axial slice \d+ \/ 45$/);

  // ↑/↓ step one slice, Page Up/Down ten, in the shown view (the focus is on the page, not the canvas).
  const start = await currentSlice(page);
  const moved = async (by: number) => expect.poll(async () => Math.abs((await currentSlice(page)) - start)).toBe(by);
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("ArrowUp");
  await moved(2);
  await page.keyboard.press("ArrowDown");
  await moved(1);
  await page.keyboard.press("PageDown");
  await moved(9);
  await page.keyboard.press("PageUp");
  await moved(1);
  await page.keyboard.press("2");
  await expect(slice).toHaveText(/^Coronal slice/);
  const coronal = await currentSlice(page);
  await page.keyboard.press("ArrowUp");
  await expect.poll(async () => Math.abs((await currentSlice(page)) - coronal)).toBe(1);
  await page.keyboard.press("1");
  await expect(slice).toHaveText(/^Axial slice/);

  // [ and ] move the mask opacity by 10%.
  const opacity = page.getByLabel("Mask opacity");
  await expect(opacity).toHaveValue("0.5");
  await page.keyboard.press("]");
  await expect(opacity).toHaveValue("0.6");
  await page.keyboard.press("[");
  await page.keyboard.press("[");
  await expect(opacity).toHaveValue("0.4");
  await page.keyboard.press("]");
  await expect(opacity).toHaveValue("0.5");

  // Typing in a field is typing: no view switch, no opacity change.
  const siteName = page.getByRole("region", { name: "Train site adapter" }).getByLabel("Site name");
  await siteName.fill("");
  await siteName.pressSequentially("m2[s");
  await expect(siteName).toHaveValue("m2[s");
  await expect(view("Axial")).toHaveAttribute("aria-pressed", "true");
  await expect(opacity).toHaveValue("0.5");
  await expect(status).toHaveText("Ready");
  await siteName.fill("");
  await siteName.blur();

  // Enter segments, Esc cancels at once; S segments to the end.
  await page.keyboard.press("Enter");
  await expect(status).toHaveText(/^(Starting|Segmenting)/);
  await expect(page.getByRole("button", { name: "Cancel", exact: true })).toBeEnabled();
  await page.keyboard.press("Escape");
  await expect(status).toHaveText("Cancelled", { timeout: 1000 });
  const t0 = Date.now();
  await page.keyboard.press("s");
  await expect(status).toHaveText(/^Done in/, { timeout: 240_000 });
  console.log(`segmented (S) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // M hides and shows the mask: the colour leaves the canvas (the grey scan and the thin
  // crosshair stay) and comes back.
  const canvas = page.getByLabel("Scan viewer");
  const coloured = async () => (await pixelStats(page, canvas, [])).chromatic;
  const show = page.getByRole("checkbox", { name: "Show mask" });
  await expect(show).toBeChecked();
  await expect.poll(coloured).toBeGreaterThan(5000);
  const shown = await coloured();
  await page.keyboard.press("m");
  await expect(show).not.toBeChecked();
  await expect.poll(coloured).toBeLessThan(shown / 5);
  console.log(`coloured pixels: mask shown ${shown}, hidden ${await coloured()}`);
  await page.keyboard.press("m");
  await expect(show).toBeChecked();
  await expect.poll(coloured).toBeGreaterThan(shown * 0.8);

  // B, E, N and Esc pick the correction tool; a brush stroke undoes and redoes from the keyboard.
  const tool = (name: string) => page.getByRole("group", { name: "Mask tool" }).getByRole("button", { name, exact: true });
  const legend = page.getByRole("list", { name: "Mask legend" });
  const volumes = async () => ((await legend.textContent()) ?? "").replace(/\s+/g, " ");
  const original = await volumes();
  await page.keyboard.press("e");
  await expect(tool("Eraser")).toHaveAttribute("aria-pressed", "true");
  await page.keyboard.press("n");
  await expect(tool("Navigate")).toHaveAttribute("aria-pressed", "true");
  await page.keyboard.press("b");
  await expect(tool("Brush")).toHaveAttribute("aria-pressed", "true");
  // CSF: a stroke across the middle of the brain surely changes it (the mask there may be all GM already)
  await page.getByRole("radio", { name: "Paint CSF" }).check();
  const box = (await canvas.boundingBox())!;
  const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
  await page.mouse.move(cx - 60, cy);
  await page.mouse.down();
  for (let x = -60; x <= 60; x += 6) await page.mouse.move(cx + x, cy + x / 3);
  await page.mouse.up();
  await expect.poll(volumes).not.toBe(original);
  const painted = await volumes();
  await page.keyboard.press("Control+z");
  await expect.poll(volumes).toBe(original);
  await page.keyboard.press("Control+Shift+z");
  await expect.poll(volumes).toBe(painted);
  await page.keyboard.press("Control+z");
  await expect.poll(volumes).toBe(original);
  await page.keyboard.press("Control+y");
  await expect.poll(volumes).toBe(painted);

  // F fills the clicked region of the slice with the chosen class, one step; I interpolates it
  // between corrected slices, and says why not while only one holds it.
  await page.keyboard.press("f");
  await expect(tool("Fill")).toHaveAttribute("aria-pressed", "true");
  await page.mouse.click(cx - 80, cy - 100); // white matter, left front (CSF there would be filled with CSF: nothing)
  await expect.poll(volumes).not.toBe(painted);
  await page.keyboard.press("Control+z");
  await expect.poll(volumes).toBe(painted);
  const interpolation = page.getByRole("status", { name: "Interpolation" });
  await page.keyboard.press("i");
  await expect(interpolation).toHaveText(/^Interpolation needs two corrected slices in this view that hold CSF; only slice \d+ does\.$/);
  await page.keyboard.press("b");
  for (let n = 0; n < 3; n++) await page.keyboard.press("ArrowUp");
  await page.mouse.move(cx - 60, cy);
  await page.mouse.down();
  for (let x = -60; x <= 60; x += 6) await page.mouse.move(cx + x, cy + x / 3);
  await page.mouse.up();
  await expect.poll(volumes).not.toBe(painted);
  const two = await volumes();
  await page.keyboard.press("i");
  await expect(interpolation).toHaveText(/^CSF interpolated in 2 slices/);
  await expect.poll(volumes).not.toBe(two);
  await page.keyboard.press("Control+z");
  await expect.poll(volumes).toBe(two);
  await page.keyboard.press("Escape");
  await expect(tool("Navigate")).toHaveAttribute("aria-pressed", "true");

  // ? opens the help: a modal dialog listing every row of the table, keys and words.
  await page.keyboard.press("?");
  const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  await expect(help).toBeVisible();
  await expect(help.getByRole("button", { name: "Close" })).toBeFocused();
  await expect(help.getByRole("row")).toHaveCount(SHORTCUTS.length);
  for (const s of SHORTCUTS) {
    const row = help.getByRole("row").filter({ hasText: s.description });
    await expect(row, s.id).toHaveCount(1);
    for (const c of s.keys) for (const cap of comboCaps(c)) await expect(row.locator("kbd").filter({ hasText: cap }).first(), `${s.id}: ${cap}`).toBeVisible();
  }
  await screenshot(page, "keyboard-help");
  // the page's keys wait while the help is open
  await page.keyboard.press("2");
  await expect(view("Axial")).toHaveAttribute("aria-pressed", "true");
  await page.keyboard.press("Escape");
  await expect(help).toBeHidden();
  await page.keyboard.press("?");
  await expect(help).toBeVisible();
  await page.keyboard.press("?");
  await expect(help).toBeHidden();
  // quick hands: close and reopen without waiting
  await page.keyboard.press("?");
  await page.keyboard.press("Escape");
  await page.keyboard.press("?");
  await expect(help).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(help).toBeHidden();

  // The viewer's Shortcuts button opens it too; Close gives the focus back to the button.
  const button = page.getByRole("button", { name: /^Shortcuts/ });
  await button.click();
  await expect(help).toBeVisible();
  await help.getByRole("button", { name: "Close" }).click();
  await expect(help).toBeHidden();
  await expect(button).toBeFocused();

  // The site study screen has no viewer shortcuts.
  await page.getByRole("tab", { name: "Site study" }).click();
  await page.keyboard.press("3");
  await page.getByRole("tab", { name: "Viewer" }).click();
  await expect(view("Axial")).toHaveAttribute("aria-pressed", "true");
});
