import { readFileSync } from "node:fs";
import { readVolume } from "../src/core/io";
import path from "node:path";
import { expect, openApp, openSample, openScan, screenshot, SCREENS, segment, test, tinyLabel, tinyScan } from "./fixtures";

const file = (name: string, bytes: Uint8Array) => ({ name, mimeType: "application/octet-stream", buffer: Buffer.from(bytes) });

test("correct the mask with brush and eraser: volumes and Dice follow, 50+ undo steps, redo, corrected slices", async ({ page }) => {
  await openApp(page);
  await openScan(page, file("tiny.nii.gz", tinyScan()));
  await page.getByLabel("Open reference label").setInputFiles(file("tiny_seg.nii.gz", tinyLabel()));
  await segment(page, 120_000);

  const legend = page.getByRole("list", { name: "Mask legend" });
  const volumes = async () => (await legend.textContent())?.replace(/\s+/g, " ") ?? "";
  const mean = async () => (await page.getByRole("table", { name: "Dice" }).getByRole("row", { name: /^Mean/ }).textContent()) ?? "";
  const original = { volumes: await volumes(), mean: await mean() };
  await expect(page.getByRole("note", { name: "Corrected slices" })).toHaveText("No slice corrected");

  // Brush: the view becomes a single slice; WM is chosen in the legend; a drag paints it.
  await page.getByRole("group", { name: "Mask tool" }).getByRole("button", { name: "Brush" }).click();
  await expect(page.getByRole("button", { name: "Axial", exact: true })).toHaveAttribute("aria-pressed", "true");
  await page.getByLabel("Paint CSF").check();
  await page.getByLabel("Brush size").fill("6");
  const canvas = page.getByLabel("Scan viewer");
  const box = (await canvas.boundingBox())!;
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const sliceBefore = await page.getByLabel("Current slice").textContent();
  await page.mouse.move(cx - 60, cy);
  await page.mouse.down();
  for (let x = -60; x <= 60; x += 10) await page.mouse.move(cx + x, cy + x / 4);
  await page.mouse.up();
  // the drag painted: it did not move the crosshair
  await expect(page.getByLabel("Current slice")).toHaveText(sliceBefore!);
  await expect.poll(volumes).not.toBe(original.volumes);
  await expect.poll(mean).not.toBe(original.mean);
  const painted = { volumes: await volumes(), mean: await mean() };
  await expect(page.getByRole("note", { name: "Corrected slices" })).toHaveText(/^1 slice corrected: \d+$/);
  await screenshot(page, "correct-brush");

  // Eraser: background where it passes.
  await page.getByRole("button", { name: "Eraser" }).click();
  await page.mouse.click(cx, cy - 40);
  await expect.poll(volumes).not.toBe(painted.volumes);

  // Undo twice: back to the model's mask and Dice; redo once: the brush stroke again.
  await page.getByRole("button", { name: /^Undo/ }).click();
  await expect.poll(volumes).toBe(painted.volumes);
  await page.keyboard.press("Control+z");
  await expect.poll(volumes).toBe(original.volumes);
  await expect.poll(mean).toBe(original.mean);
  await expect(page.getByRole("note", { name: "Corrected slices" })).toHaveText("No slice corrected");
  await page.keyboard.press("Control+Shift+z");
  await expect.poll(volumes).toBe(painted.volumes);
  await expect(page.getByRole("button", { name: /^Redo/ })).toHaveText("Redo (1)");

  // The saved mask is the corrected one, on the scan's grid: its class volumes are the legend's.
  const [saved] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Save mask (.nii.gz)" }).click()]);
  expect(saved.suggestedFilename()).toBe("tiny_siteseg-mask.nii.gz");
  const mask = readVolume(new Uint8Array(readFileSync((await saved.path())!)), "mask.nii.gz");
  expect(mask.dims).toEqual([32, 32, 6]);
  for (const [index, name] of [[1, "CSF"], [2, "GM"], [3, "WM"]] as const) {
    const n = Array.from(mask.data).filter((v) => v === index).length;
    expect(painted.volumes).toContain(`${name}${(n / 1000).toFixed(1)} mL`);
  }

  // The corrected slice teaches a new adapter (a few steps here), which joins the Adapter select.
  const train = page.getByRole("region", { name: "Train site adapter" });
  await train.getByRole("radio", { name: /^Corrected slices \(1 axial slice corrected/ }).check();
  await train.getByLabel("Steps").fill("5");
  await train.getByRole("button", { name: "Train adapter" }).click();
  const outcome = train.getByRole("group", { name: "Training result" });
  await expect(outcome).toContainText(/trained on slices \d+ on wasm/, { timeout: 120_000 });
  await expect(page.getByLabel("Adapter", { exact: true })).toHaveValue("tiny (trained)");
  await page.getByLabel("Adapter", { exact: true }).selectOption({ label: "None (base)" });
  await expect.poll(volumes).toBe(painted.volumes); // the corrected base mask is still the one shown

  // More than 50 steps undo back to the model's mask: 55 strokes, alternating classes at one spot.
  await page.getByRole("button", { name: /^Undo/ }).click();
  await expect.poll(volumes).toBe(original.volumes);
  await page.getByRole("button", { name: "Brush" }).click();
  for (let n = 0; n < 55; n++) {
    await page.getByLabel(n % 2 ? "Paint GM" : "Paint CSF").check();
    await page.mouse.click(cx + 20, cy + 10);
  }
  await expect(page.getByRole("button", { name: /^Undo/ })).toHaveText("Undo (55)");
  for (let n = 0; n < 55; n++) await page.keyboard.press("Control+z");
  await expect(page.getByRole("button", { name: /^Undo/ })).toHaveText("Undo");
  await expect.poll(volumes).toBe(original.volumes);
  await expect.poll(mean).toBe(original.mean);

  // Navigate again: a click moves the crosshair, not the mask.
  await page.getByRole("button", { name: "Navigate" }).click();
  await page.mouse.click(cx + 30, cy + 30);
  expect(await volumes()).toBe(original.volumes);

  // A new scan asks before it drops corrections not saved (the app's own dialog): Cancel keeps
  // the scan and the corrected mask; Save mask saves it, then opens the new scan.
  await page.getByRole("button", { name: "Brush" }).click();
  await page.getByLabel("Paint CSF").check();
  await page.mouse.move(cx - 60, cy);
  await page.mouse.down();
  for (let x = -60; x <= 60; x += 10) await page.mouse.move(cx + x, cy + x / 4);
  await page.mouse.up();
  await expect.poll(volumes).toBe(painted.volumes); // the first stroke again
  const corrected = await volumes();
  const ask = page.getByRole("dialog", { name: "Save your corrections first?" });
  await page.getByLabel("Open scan").setInputFiles(file("next.nii.gz", tinyScan(1)));
  await expect(ask).toContainText("The mask of tiny.nii.gz has corrections you have not saved (1 slice corrected). If you open next.nii.gz now, they are lost.");
  await screenshot(page, "correct-unsaved-ask");
  await ask.getByRole("button", { name: "Cancel" }).click();
  await expect(ask).toBeHidden();
  await expect(page.getByText("tiny.nii.gz", { exact: true })).toBeVisible();
  expect(await volumes()).toBe(corrected);
  await page.getByLabel("Open scan").setInputFiles(file("next.nii.gz", tinyScan(1)));
  const [again] = await Promise.all([page.waitForEvent("download"), ask.getByRole("button", { name: "Save mask and continue" }).click()]);
  expect(again.suggestedFilename()).toBe("tiny_siteseg-mask.nii.gz");
  await expect(page.getByText("next.nii.gz", { exact: true })).toBeVisible({ timeout: 30_000 });
  await expect(ask).toBeHidden();
});

test("fill a region of the slice, and interpolate a class between two corrected slices: each one undo step", async ({ page }) => {
  await openApp(page);
  await openSample(page, /Synthetic PD/);
  await segment(page);

  const legend = page.getByRole("list", { name: "Mask legend" });
  const volumes = async () => (await legend.textContent())?.replace(/\s+/g, " ") ?? "";
  const csf = async () => Number((await volumes()).match(/CSF\s*([\d.]+) mL/)![1]);
  const tool = (name: string) => page.getByRole("group", { name: "Mask tool" }).getByRole("button", { name, exact: true });
  const corrected = page.getByRole("note", { name: "Corrected slices" });
  const undo = page.getByRole("button", { name: /^Undo/ });
  const interpolate = page.getByRole("button", { name: "Interpolate", exact: true });
  const original = { volumes: await volumes(), csf: await csf() };
  // nothing corrected yet: disabled, and its title says what it does and why not now
  await expect(interpolate).toBeDisabled();
  await expect(interpolate).toHaveAttribute("title", /^I: write GM in the slices between corrected slices of this view .*Not now: Interpolation needs two corrected slices in this view that hold GM; none does\.$/);

  // Fill: CSF chosen in the legend; a click in the middle of the brain gives its region of the slice CSF.
  await tool("Brush").click();
  await page.getByRole("radio", { name: "Paint CSF" }).check();
  await tool("Fill").click();
  await expect(tool("Fill")).toHaveAttribute("aria-pressed", "true");
  await expect(tool("Fill")).toHaveAttribute("title", /^F: click a region of the slice/);
  const canvas = page.getByLabel("Scan viewer");
  const box = (await canvas.boundingBox())!;
  const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
  await page.mouse.click(cx, cy);
  await expect.poll(csf).toBeGreaterThan(original.csf + 1); // a region, not a brush dab
  await expect(undo).toHaveText("Undo (1)");
  await expect(corrected).toHaveText(/^1 slice corrected: \d+$/);
  await screenshot(page, "correct-fill");
  await undo.click();
  await expect.poll(volumes).toBe(original.volumes);
  await expect(corrected).toHaveText("No slice corrected");

  // Interpolate: CSF brushed across two slices four apart; the three between get it, one step.
  await tool("Brush").click();
  await page.getByLabel("Brush size").fill("6");
  const stroke = async () => {
    await page.mouse.move(cx - 60, cy);
    await page.mouse.down();
    for (let x = -60; x <= 60; x += 6) await page.mouse.move(cx + x, cy + x / 3);
    await page.mouse.up();
  };
  await stroke();
  for (let n = 0; n < 4; n++) await page.keyboard.press("ArrowUp");
  await stroke();
  await expect(corrected).toHaveText(/^2 slices corrected: \d+, \d+$/);
  const [k1, k2] = ((await corrected.textContent())!.match(/\d+, \d+$/)![0]).split(", ").map(Number);
  expect(k2 - k1).toBe(4);
  const two = await volumes();
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown"); // the middle slice, to see what interpolation writes there
  await expect(interpolate).toBeEnabled();
  await screenshot(page, "correct-interpolate-before");
  await expect(interpolate).toHaveAttribute("title", /^I: write CSF in the slices between/);
  await interpolate.click();
  await expect(page.getByRole("status", { name: "Interpolation" })).toHaveText(`CSF interpolated in 3 slices (${k1 + 1}–${k2 - 1})`);
  await expect(corrected).toHaveText(`5 slices corrected: ${[0, 1, 2, 3, 4].map((d) => k1 + d).join(", ")}`);
  await expect.poll(csf).toBeGreaterThan(Number(two.match(/CSF\s*([\d.]+) mL/)![1]));
  await expect(undo).toHaveText("Undo (3)");
  await screenshot(page, "correct-interpolate");
  await page.getByRole("group", { name: "Mask tool" }).locator("..").screenshot({ path: path.join(SCREENS, "correct-toolbar.png") });
  await undo.click();
  await expect.poll(volumes).toBe(two);
  await expect(corrected).toHaveText(/^2 slices corrected: \d+, \d+$/);
  await expect(page.getByRole("status", { name: "Interpolation" })).toHaveText("");
});
