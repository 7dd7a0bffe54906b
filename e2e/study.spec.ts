import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { siteseg } from "../src/test/cli";
import { expect, openApp, screenshot, SCREENS, shippedDefaultPasses, test, tinyLabel, tinyScan } from "./fixtures";


/** site -> [n, trained_on, base_mean, adapter_mean, gain_mean] from a study CSV (NaN where empty). */
function means(csv: string): Record<string, number[]> {
  const [head, ...rows] = csv.trim().split(/\r?\n/).map((l) => l.split(","));
  const col = (name: string) => head.indexOf(name);
  return Object.fromEntries(rows.map((r) => [r[col("site")], ["n", "trained_on", "base_mean", "adapter_mean", "gain_mean"].map((c) => (r[col(c)] === "" ? NaN : Number(r[col(c)])))]));
}

test("a site study over the built-in sample sites: table, chart, CSV, PNG and SVG, and the CLI agrees", async ({ page }) => {
  test.setTimeout(600_000);
  await openApp(page);
  // the passes the app runs by default on its backend (the manifest leaves some off on WASM)
  const appOptions = shippedDefaultPasses((await page.getByLabel("Backend in use").textContent()) ?? "");
  await page.getByRole("tab", { name: "Site study" }).click();
  await page.getByRole("button", { name: "Use the sample sites" }).click();

  // Twelve cases paired by name (the fetal site's eight, one for each other site), conventions guessed from the labels.
  const cases = page.getByRole("table", { name: "Study cases" });
  await expect(cases.getByRole("row")).toHaveCount(13);
  await expect(page.getByLabel("Convention of fetal-sb/GA21")).toHaveValue("feta");
  await expect(page.getByLabel("Adapter for fetal-sb")).toHaveValue("fetal-sb");
  await expect(page.getByLabel("Site of niivue-t1")).toHaveValue("niivue-t1");
  await expect(page.getByLabel("Convention of niivue-t1")).toHaveValue("freesurfer");
  await expect(page.getByLabel("Convention of fpg-t2/t2")).toHaveValue("gif");
  await expect(page.getByLabel("Adapter for synth-pd")).toHaveValue("synth-pd");

  const started = Date.now();
  await page.getByRole("button", { name: "Run study" }).click();
  const bar = page.getByRole("progressbar", { name: "Study progress" });
  await expect(bar).toHaveAttribute("aria-valuetext", /Case \d+ of 12/);
  await expect(bar).toHaveAttribute("aria-valuetext", "12 cases done", { timeout: 540_000 });
  console.log(`study of 12 sample cases (24 runs) in the browser: ${((Date.now() - started) / 1000).toFixed(0)} s`);

  const table = page.getByRole("table", { name: "Study results" });
  // synthetic sites say so beside their name
  await expect(table.getByRole("rowheader")).toHaveText(["fetal-sb", "fpg-t2", "niivue-t1", /^synth-flair\s*synthetic$/i, /^synth-pd\s*synthetic$/i]);
  // the adapters' own cases are marked: two fetal cases, and each single-scan site's one scan
  await expect(cases.getByText("trained on · not counted")).toHaveCount(6);
  await page.getByLabel("Per class").check();
  await expect(table.getByRole("row", { name: /CSF/ }).first()).toBeVisible();
  await expect(page.getByLabel("Study chart").locator("svg")).toBeVisible();
  await screenshot(page, "site-study");
  await page.getByLabel("Study chart").scrollIntoViewIfNeeded();
  await screenshot(page, "site-study-chart");

  // Exports: the table as CSV, the chart as PNG and SVG.
  const save = async (name: string) => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name, exact: true }).click()]);
    return { name: download.suggestedFilename(), bytes: readFileSync((await download.path())!) };
  };
  const csv = await save("Export table CSV");
  expect(csv.name).toMatch(/\.csv$/);
  const app = means(csv.bytes.toString("utf8"));
  // leave-cases-out: the fetal site is judged on its six unseen cases, where its adapter must win;
  // a single-scan site's one scan is its adapter's own, so it has no held-out figure
  for (const [site, [n, trainedOn, base, adapted, gain]] of Object.entries(app)) {
    if (site === "fetal-sb") {
      expect([n, trainedOn]).toEqual([6, 2]);
      expect(adapted, `${site}: the site's adapter beats the base on cases it never saw`).toBeGreaterThan(base + 0.3);
      expect(gain).toBeCloseTo(adapted - base, 3);
    } else {
      expect([n, trainedOn], site).toEqual([0, 1]);
      expect(adapted, site).toBeNaN();
    }
  }
  const png = await save("Save PNG");
  expect(png.bytes.subarray(1, 4).toString()).toBe("PNG");
  expect(png.bytes.length).toBeGreaterThan(10_000);
  writeFileSync(path.join(SCREENS, "site-study-export.png"), png.bytes);
  const svg = (await save("Save SVG")).bytes.toString("utf8");
  expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  for (const site of Object.keys(app)) expect(svg).toContain(site);

  // The CLI on the same files with the passes the app ran (on WASM the mirrored pass is off by
  // default, the CLI's native default has it on): the same table to the printed precision (3 decimals).
  const out = path.join(mkdtempSync(path.join(tmpdir(), "siteseg-study-")), "cli.csv");
  const cliRun = await siteseg(["study", "public/samples", "--csv", out, "--options", appOptions.join(",") || "none"], 300_000);
  expect(cliRun.code, cliRun.stderr).toBe(0);
  const cli = means(readFileSync(out, "utf8"));
  expect(Object.keys(cli).sort()).toEqual(Object.keys(app).sort());
  for (const site of Object.keys(app)) expect(app[site].map((v) => v.toFixed(3)), site).toEqual(cli[site].map((v) => v.toFixed(3)));
  expect(cliRun.stdout).toMatch(/^fetal-sb\s+6\s+0\s+fetal-sb\s/m);
});

test("a study from a folder: pairing by name, site from the folder, a broken case recorded, Cancel", async ({ page }) => {
  // siteA: case + case_seg; siteB: BIDS T1w + dseg, a truncated scan with its label, an orphan.
  const root = path.join(mkdtempSync(path.join(tmpdir(), "siteseg-folder-")), "hospital");
  const head = tinyScan();
  const label = tinyLabel();
  const put = (rel: string, bytes: Uint8Array) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), bytes);
  };
  put("siteA/case1.nii.gz", head);
  put("siteA/case1_seg.nii.gz", label);
  put("siteB/sub-01_T1w.nii.gz", tinyScan(2));
  put("siteB/sub-01_dseg.nii.gz", label);
  put("siteB/bad.nii.gz", head.subarray(0, 200));
  put("siteB/bad_seg.nii.gz", label);
  put("siteB/orphan.nii.gz", head);

  await openApp(page);
  await page.getByRole("tab", { name: "Site study" }).click();
  await page.getByLabel("Add folder…").setInputFiles(root);
  const cases = page.getByRole("table", { name: "Study cases" });
  await expect(cases.getByRole("row")).toHaveCount(4);
  await expect(page.getByLabel("Site of siteA/case1")).toHaveValue("siteA");
  await expect(page.getByLabel("Site of siteB/sub-01_T1w")).toHaveValue("siteB");
  await expect(page.getByText(/1 volume without a partner, left out: siteB\/orphan\.nii\.gz/)).toBeVisible();
  await expect(page.getByLabel("Convention of siteA/case1")).toHaveValue("classes");
  await expect(page.getByLabel("Adapter for siteA")).toHaveValue("");

  // The user names the sites and gives siteB an adapter.
  await page.getByLabel("Site of siteA/case1").fill("Hospital A");
  await page.getByLabel("Site of siteA/case1").press("Enter");
  await expect(page.getByLabel("Adapter for siteA")).toHaveCount(0); // renamed: the old site name is gone
  await page.getByLabel("Adapter for siteB").selectOption("niivue-t1");

  await page.getByRole("button", { name: "Run study" }).click();
  const bar = page.getByRole("progressbar", { name: "Study progress" });
  await expect(bar).toHaveAttribute("aria-valuetext", "3 cases done", { timeout: 120_000 });
  const table = page.getByRole("table", { name: "Study results" });
  await expect(table.getByRole("rowheader")).toHaveText(["Hospital A", "siteB"]);
  await expect(table.getByRole("row", { name: /^siteB/ })).toContainText("1 (+1 failed)");
  await expect(table.getByRole("row", { name: /^Hospital A/ })).toContainText("—"); // no adapter: base only
  await expect(page.getByRole("note", { name: "Failed cases" })).toContainText(/siteB\/bad: .*truncated|corrupt/);

  await screenshot(page, "site-study-folder");

  // A longer study (the sample sites) is cancelled mid-run: it stops at once, and can run again.
  // While it runs, its first cases are on screen but cannot be exported (a partial table with no
  // mark); once cancelled they can, and the files say they are partial.
  await page.getByRole("button", { name: "Use the sample sites" }).click();
  await expect(page.getByRole("table", { name: "Study cases" }).getByRole("row")).toHaveCount(13);
  await page.getByRole("button", { name: "Run study" }).click();
  await expect(bar).toHaveAttribute("aria-valuetext", /^Case 2 of 12 · [1-9]\d*%$/, { timeout: 120_000 });
  const exports = ["Export table CSV", "Cases CSV", "Export report (HTML)", "Save PNG", "Save SVG"].map((name) => page.getByRole("button", { name, exact: true }));
  for (const button of exports) await expect(button).toBeDisabled();
  await expect(exports[0]).toHaveAttribute("title", /^The study is running: export when it ends/);
  await page.getByRole("table", { name: "Study results" }).scrollIntoViewIfNeeded();
  await screenshot(page, "site-study-running-exports");
  await page.getByRole("button", { name: "Cancel", exact: true }).click();
  await expect(bar).toHaveAttribute("aria-valuetext", /^Cancelled after [1-9]\d* of 12 cases$/, { timeout: 1000 });
  await expect(page.getByRole("button", { name: "Run study" })).toBeEnabled();
  for (const button of exports) await expect(button).toBeEnabled();
  const [download] = await Promise.all([page.waitForEvent("download"), exports[0].click()]);
  expect(download.suggestedFilename()).toMatch(/^siteseg-study-partial-[1-9]\d*-of-12-\d{4}-\d\d-\d\d\.csv$/);
});

test("a running study shows its elapsed time and what is left; its results survive a reload until Clear saved results", async ({ page }) => {
  test.setTimeout(300_000);
  await openApp(page);
  await page.getByRole("tab", { name: "Site study" }).click();
  await page.getByRole("button", { name: "Use the sample sites" }).click();
  await expect(page.getByRole("table", { name: "Study cases" }).getByRole("row")).toHaveCount(13);
  await page.getByRole("button", { name: "Run study" }).click();
  const time = page.getByLabel("Study time");
  // no estimate before the first case ends, then the mean case time times the cases left
  await expect(time).toHaveText(/^Elapsed 0:\d\d · time left known after the first case$/);
  const bar = page.getByRole("progressbar", { name: "Study progress" });
  await expect(bar).toHaveAttribute("aria-valuetext", /^Case 3 of 12 · /, { timeout: 180_000 });
  await expect(time).toHaveText(/^Elapsed \d+:\d\d · about \d+:\d\d left$/);
  const elapsed = async () => (await time.textContent())!.match(/^Elapsed (\d+):(\d\d)/)!.slice(1).map(Number).reduce((m, s) => m * 60 + s);
  const before = await elapsed();
  await expect.poll(elapsed, { timeout: 5000 }).toBeGreaterThan(before); // it ticks
  await screenshot(page, "site-study-time");
  await page.getByRole("button", { name: "Cancel", exact: true }).click();
  await expect(bar).toHaveAttribute("aria-valuetext", /^Cancelled after [1-9]\d* of 12 cases$/);
  const done = Number((await bar.getAttribute("aria-valuetext"))!.match(/after (\d+)/)![1]);
  await expect(time).toHaveCount(0);
  const note = page.getByRole("note", { name: "Saved study results" });
  await expect(note).toContainText(`Kept in this browser: the results computed`);
  const results = page.getByRole("table", { name: "Study results" });
  const shown = await results.textContent();

  // after a reload: the same results, said when and on which files they were computed
  await page.reload();
  await expect(page.getByText(/ ready$/)).toBeVisible({ timeout: 60_000 });
  await page.getByRole("tab", { name: "Site study" }).click();
  await expect(note).toContainText(new RegExp(`^Restored from this browser: results computed .+ with siteseg-tissue \\S+ on ${done} of 12 cases, cancelled \\(fetal-sb/GA21\\.nii\\.gz`));
  await expect(results).toHaveText(shown!);
  await expect(page.getByLabel("Study chart").locator("svg")).toBeVisible();
  await expect(page.getByRole("table", { name: "Study cases" })).toHaveCount(0); // the files are not kept: results only
  await screenshot(page, "site-study-restored");

  await page.getByRole("button", { name: "Clear saved results" }).click();
  await expect(note).toHaveCount(0);
  await expect(results).toHaveCount(0);
  await page.reload();
  await expect(page.getByText(/ ready$/)).toBeVisible({ timeout: 60_000 });
  await page.getByRole("tab", { name: "Site study" }).click();
  await expect(page.getByRole("button", { name: "Use the sample sites" })).toBeEnabled();
  await expect(note).toHaveCount(0);
  await expect(results).toHaveCount(0);
});
