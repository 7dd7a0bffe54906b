import { readFileSync } from "node:fs";
import { collectDownloads, expect, openApp, screenshot, SCREENS, test } from "./fixtures";

// A user trains the fetal sample site's adapter from two of its cases in the Site study, and the
// study judges it on the site's six others (leave-cases-out): the trained cases are marked and not
// counted, the site's row shows n and the gain's 95% CI. The other sample sites and four of the fetal
// cases are removed first (the × a user has), so the study runs 4 cases, not 12: CI's time.
test("train a site's adapter from ticked cases in the Site study; the study judges it on the others", async ({ page }) => {
  test.setTimeout(600_000);
  const started = Date.now();
  const downloads = collectDownloads(page);
  await openApp(page);
  await page.getByRole("tab", { name: "Site study" }).click();
  await page.getByRole("button", { name: "Use the sample sites" }).click();
  const cases = page.getByRole("table", { name: "Study cases" });
  await expect(page.getByLabel("Site of fetal-sb/GA21")).toHaveValue("fetal-sb");

  // Keep only the fetal site: every other case is removed with its × button.
  const others = cases.getByRole("button", { name: /^Remove (?!fetal-sb\/)/ });
  expect(await others.count()).toBeGreaterThan(0);
  while ((await others.count()) > 0) await others.first().click();
  await expect(cases.getByRole("row")).toHaveCount(1 + 8);
  for (const id of ["GA24", "GA26op", "GA29op", "GA34op"]) await cases.getByRole("button", { name: `Remove fetal-sb/${id}` }).click();
  await expect(cases.getByRole("row")).toHaveCount(1 + 4);
  await expect(page.getByLabel(/^Adapter for /)).toHaveCount(1);
  await expect(page.getByLabel("Convention of fetal-sb/GA23")).toHaveValue("feta");

  // Nothing ticked: the panel says what to do and offers no button.
  const panel = page.getByRole("group", { name: "Train a site adapter" });
  await expect(panel).toContainText("Tick “train on” beside a few cases of a site");
  await expect(panel.getByRole("button", { name: /^Train / })).toHaveCount(0);

  await page.getByLabel("Train on fetal-sb/GA23").check();
  await page.getByLabel("Train on fetal-sb/GA28op").check();
  await panel.getByLabel("Labelled slices per case").fill("3");
  await panel.getByLabel("Training steps").fill("20");
  const trainedAt = Date.now();
  await panel.getByRole("button", { name: "Train fetal-sb adapter from 2 cases" }).click();

  // step by step with the loss, Cancel offered; the study cannot start meanwhile
  const progress = page.getByRole("progressbar", { name: "Study training progress" });
  await expect(progress).toHaveAttribute("aria-valuetext", /^Step \d+ \/ 20 · loss \d+\.\d{4}$/, { timeout: 120_000 });
  await expect(panel.getByRole("button", { name: "Cancel training" })).toBeEnabled();
  await expect(page.getByRole("button", { name: "Run study" })).toBeDisabled();

  // the new adapter is chosen for the site, and the study runs by itself
  await expect(page.getByLabel("Adapter for fetal-sb")).toHaveValue("fetal-sb-adapter", { timeout: 240_000 });
  console.log(`training (20 steps, 2 cases × 3 slices) in the browser: ${((Date.now() - trainedAt) / 1000).toFixed(0)} s`);
  await expect(progress).toHaveAttribute("aria-valuetext", "20 steps done");
  const result = panel.getByRole("group", { name: "Study training result" });
  await expect(result).toContainText(/Adapter fetal-sb-adapter, chosen for fetal-sb, learnt on wasm[^)]*\)? from GA23 \(slices \d+, \d+, \d+\), GA28op \(slices \d+, \d+, \d+\)\./);
  await expect(result.getByRole("note", { name: "Training warnings" })).toHaveCount(0); // two T2 cases: one contrast
  const bar = page.getByRole("progressbar", { name: "Study progress" });
  const studyAt = Date.now();
  await expect(bar).toHaveAttribute("aria-valuetext", "4 cases done", { timeout: 480_000 });
  console.log(`study of 4 fetal cases (8 runs) in the browser: ${((Date.now() - studyAt) / 1000).toFixed(0)} s`);

  // the two trained cases are marked, the two others are not
  for (const id of ["GA21", "GA23", "GA28op", "GA32op"]) {
    const row = cases.getByRole("row", { name: new RegExp(`fetal-sb/${id}\\b`) });
    if (id === "GA23" || id === "GA28op") await expect(row, id).toContainText("trained on · not counted");
    else await expect(row, id).not.toContainText("trained on");
  }
  // the site's row: judged on 6 cases, 2 trained on, the gain with its 95% CI
  const table = page.getByRole("table", { name: "Study results" });
  const header = await table.getByRole("columnheader").allTextContents();
  const cells = await table.getByRole("row", { name: /^fetal-sb/ }).getByRole("cell").allTextContents();
  const at = (name: string) => cells[header.indexOf(name) - 1]; // the site is the row's header cell
  expect(at("n")).toBe("2");
  expect(at("Trained on")).toBe("2");
  expect(at("Adapter")).toBe("fetal-sb-adapter");
  expect(at("Gain 95% CI")).toMatch(/^[+-]?\d\.\d{3} to [+-]?\d\.\d{3}$/);
  await expect(page.getByText("Each site is judged on cases its adapter never saw")).toBeVisible();
  await expect(page.getByText(/^Hollow dots, dashed lines: cases the site's adapter learnt from/)).toBeVisible();

  // Save adapter: its two files, recording both cases it learnt from
  await result.getByRole("button", { name: "Save adapter" }).click();
  const [config] = await downloads("adapter_config.json", "adapter_model.safetensors");
  const saved = JSON.parse(readFileSync(config, "utf8")) as { site: string; training_cases: { id: string; sha256: string }[] };
  expect(saved.site).toBe("fetal-sb");
  expect(saved.training_cases.map((c) => c.id)).toEqual(["fetal-sb/GA23", "fetal-sb/GA28op"]);

  await page.getByRole("group", { name: "Train a site adapter" }).scrollIntoViewIfNeeded();
  await screenshot(page, "site-study-train");
  await page.getByLabel("Study chart").scrollIntoViewIfNeeded();
  await screenshot(page, "site-study-train-chart");
  await page.getByLabel("Study chart").screenshot({ path: `${SCREENS}/site-study-train-chart-only.png` });
  console.log(`the whole journey: ${((Date.now() - started) / 1000).toFixed(0)} s`);
});
