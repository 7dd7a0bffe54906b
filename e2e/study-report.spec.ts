import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, openApp, SCREENS, test, tinyLabel, tinyScan } from "./fixtures";

const EVIL = "<img src=x onerror=alert(1)>";

test("the Site study's report: one self-contained HTML file with the table's numbers, that opens and prints", async ({ page }) => {
  // two sites: siteA (an adapter chosen), siteB (base only) with a broken case whose name is markup
  const root = path.join(mkdtempSync(path.join(tmpdir(), "siteseg-report-")), "hospital");
  const put = (rel: string, bytes: Uint8Array) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), bytes);
  };
  put("siteA/case1.nii.gz", tinyScan());
  put("siteA/case1_seg.nii.gz", tinyLabel());
  put("siteA/case2.nii.gz", tinyScan(2));
  put("siteA/case2_seg.nii.gz", tinyLabel(2));
  put("siteB/case3.nii.gz", tinyScan(1));
  put("siteB/case3_seg.nii.gz", tinyLabel(1));
  put(`siteB/${EVIL}.nii.gz`, tinyScan().subarray(0, 200));
  put(`siteB/${EVIL}_seg.nii.gz`, tinyLabel());

  await openApp(page);
  await page.getByRole("tab", { name: "Site study" }).click();
  await page.getByLabel("Add folder…").setInputFiles(root);
  await expect(page.getByRole("table", { name: "Study cases" }).getByRole("row")).toHaveCount(5);
  await page.getByLabel("Adapter for siteA").selectOption("niivue-t1");
  const button = page.getByRole("button", { name: "Export report (HTML)" });
  await expect(button).toHaveCount(0); // no results yet: no export area

  await page.getByRole("button", { name: "Run study" }).click();
  await expect(page.getByRole("progressbar", { name: "Study progress" })).toHaveAttribute("aria-valuetext", "4 cases done", { timeout: 180_000 });
  await expect(button).toBeEnabled();

  // the app's table, read by its column names: site -> the figures the report shows too
  const appTable = page.getByRole("table", { name: "Study results" });
  const head = (await appTable.locator("thead th").allTextContents()).map((t) => t.trim());
  const appRows = appTable.getByRole("row").filter({ has: page.getByRole("rowheader") });
  await expect(appRows).toHaveCount(2);
  const app: Record<string, Record<string, string>> = {};
  for (const row of await appRows.all()) {
    const cells = (await row.locator("th, td").allTextContents()).map((t) => t.trim());
    const at = (name: string) => (head.includes(name) ? cells[head.indexOf(name)] : undefined);
    app[cells[0]] = { n: at("n")!.split(" ")[0], adapter: at("Adapter")!, base: at("Base")!, adapted: at("+ adapter")!, gain: at("Gain")!, ...(at("Gain 95% CI") ? { ci: at("Gain 95% CI")! } : {}) };
  }
  expect(Object.keys(app)).toEqual(["siteA", "siteB"]);

  const started = performance.now();
  const [download] = await Promise.all([page.waitForEvent("download"), button.click()]);
  console.log(`report exported in ${(performance.now() - started).toFixed(0)} ms (click to download)`);
  expect(download.suggestedFilename()).toMatch(/^siteseg-study-report-siteseg-tissue-\d{4}-\d{2}-\d{2}\.html$/);
  const html = readFileSync((await download.path())!, "utf8");
  expect(html).toMatch(/^<!doctype html>/);
  expect(html).not.toMatch(/https?:|\/\/|<script|<link|<img|@import|url\(/i);

  // Opened in Chromium (same browser context: the privacy guard sees any request it would make)
  const report = await page.context().newPage();
  const dialogs: string[] = [];
  report.on("dialog", (d) => void dialogs.push(d.message()));
  await report.setViewportSize({ width: 900, height: 1200 });
  await report.setContent(html);
  await expect(report.getByRole("heading", { name: "Site study: base model vs site adapters" })).toBeVisible();
  const rows = report.locator("#dice-table tbody tr");
  await expect(rows).toHaveCount(2);
  for (const row of await rows.all()) {
    const [site, n, trainedOn, adapter, base, adapted, gain, ci] = (await row.locator("th, td").allTextContents()).map((t) => t.trim());
    expect({ n, adapter, base, adapted, gain, ...(app[site].ci ? { ci } : {}) }, site).toEqual(app[site]);
    expect(trainedOn).toBe("0");
  }
  await expect(report.locator("#summary")).toContainText(`At siteA, the adapter ${/^\+/.test(app.siteA.gain) ? "raised" : /^-/.test(app.siteA.gain) ? "lowered" : "left"} mean Dice`);
  await expect(report.locator("#summary")).toContainText(`At siteB, there is no site adapter: the base model's mean Dice was ${app.siteB.base} on 1 case. 1 case failed`);
  // the broken case's name is text, not an image
  await expect(report.locator("img")).toHaveCount(0);
  expect(dialogs, "the report ran script").toEqual([]);
  await expect(report.locator("#failed-table")).toContainText(`siteB/${EVIL}`);
  await expect(report.locator("#adapters-table")).toContainText(/siteA\s*niivue-t1\s*[0-9a-f]{64}/);
  await expect(report.locator("#identities")).toContainText(/Model file sha256\s*[0-9a-f]{64}/);
  await expect(report.locator("#per-case svg circle")).not.toHaveCount(0);
  await expect(report.locator("#efficiency")).toContainText(/Not measured|Labelled slices/);
  mkdirSync(SCREENS, { recursive: true });
  await report.screenshot({ path: path.join(SCREENS, "site-study-report.png"), fullPage: true });
  writeFileSync(path.join(SCREENS, "site-study-report.html"), html);

  // ... and printed: a PDF of one page or more
  const pdf = await report.pdf({ format: "A4", printBackground: true });
  expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
  const pages = pdf.toString("latin1").match(/\/Type\s*\/Page(?!s)/g)?.length ?? 0;
  expect(pages).toBeGreaterThanOrEqual(1);
  writeFileSync(path.join(SCREENS, "site-study-report.pdf"), pdf);
  console.log(`report: ${(html.length / 1024).toFixed(0)} KiB of HTML, ${pages} A4 pages as PDF`);
  await report.close();
});
