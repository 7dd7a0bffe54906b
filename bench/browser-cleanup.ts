// What the mask cleanup (issue 27, on by default) adds to the app's wait: the niivue T1 sample
// segmented in headless Chromium (WASM, the app's default options) with "Remove tissue outside the
// brain" on and off, alternating, three runs each; the medians of the app's "Done in" figures.
// Not part of `npm run bench` (which times the default, the cleanup on); after `vite build`:
//   npx tsx bench/browser-cleanup.ts   (appends its line to BENCHMARKS.md)
import { appendFileSync } from "node:fs";
import { resolve } from "node:path";
import { doneSeconds, withApp } from "./app-browser";
import { loadAverage, machine, median } from "./machine";

const root = resolve(import.meta.dirname, "..");
const RUNS = 3;

const runs = await withApp(root, 4183, async (open) => {
  const page = await open();
  await page.getByRole("button", { name: "Open sample" }).click();
  await page.getByRole("menuitem", { name: /FreeSurfer T1/ }).click();
  await page.getByText(/Reference: aparc/).waitFor({ timeout: 60_000 });
  await page.waitForTimeout(3000);
  const cleanup = page.getByRole("checkbox", { name: "Remove tissue outside the brain" });
  const done = page.getByRole("status").filter({ hasText: /^Done in .*drawing/ });
  const out = { on: [] as number[], off: [] as number[] };
  for (let i = 0; i < 2 * RUNS; i++) {
    const on = i % 2 === 0;
    await cleanup.setChecked(on);
    await page.getByRole("button", { name: "Segment", exact: true }).click();
    await done.waitFor({ state: "detached", timeout: 10_000 }).catch(() => undefined); // the last run's status goes first
    await done.waitFor({ timeout: 600_000 });
    const status = (await done.textContent()) ?? "";
    console.log(`cleanup ${on ? "on" : "off"}: ${status}`);
    out[on ? "on" : "off"].push(doneSeconds(status));
    await page.waitForTimeout(2000);
  }
  return out;
});
if (!runs) throw new Error("the app is not built: run `npx vite build` first");
const line = `The mask cleanup in the app's wait (niivue T1 sample, headless Chromium, WASM, the app's default options; ${RUNS} runs each, alternating; ${machine()}, load ${loadAverage()}): "Done in" median ${median(runs.on).toFixed(1)} s with the cleanup (${runs.on.join(", ")} s), ${median(runs.off).toFixed(1)} s without (${runs.off.join(", ")} s)`;
console.log(line);
appendFileSync(resolve(root, "BENCHMARKS.md"), `\n${line} (${new Date().toISOString().slice(0, 10)}, \`npx tsx bench/browser-cleanup.ts\`)\n`);
