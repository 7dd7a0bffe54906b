// Times the default adapter training (10 slices, the default recipe) in headless Chromium with WASM, the
// way a user runs it: the built app (vite preview), the niivue T1 sample, "Train adapter".
// Called by bench/run.ts after `vite build`; returns null when no Chromium is at hand.
import { TRAIN_DEFAULTS } from "../src/core/adapt/train";
import { chromiumPssMiB, withApp } from "./app-browser";

const PORT = 4175;

export interface BrowserBench {
  ms: number;
  /** From pressing Train adapter to the first step reported: the set-up before the steps. */
  firstStepMs: number;
  steps: number;
  heldOut: string;
  idleMiB: number;
  peakMiB: number;
  /** Segmenting the same sample first: the app's status line (the user's wait, run and drawing apart) and Chromium's peak PSS meanwhile. */
  /** The same segmentation with ?threads=1: the status and the backend line. */
  oneThread: { status: string; backend: string };
  /** The app's default passes on this backend and the mean Dice they give; then the same with the mirrored pass switched on. */
  passes: { defaultPasses: string; defaultDice: string; mirrored: { status: string; passes: string; dice: string } };
  segmentation: { status: string; runS: number; inferenceS: number; firstSlicesMs: number; peakMiB: number; longTasks: number; longestTaskMs: number; opening: { longTasks: number; longestTaskMs: number } };
}

export async function browserTraining(root: string): Promise<BrowserBench | null> {
  return withApp(root, PORT, async (open) => {
    const page = await open();
    // the page's long tasks (over 50 ms): opening the sample, then segmenting it
    await page.evaluate(() => {
      const w = window as unknown as { longTasks: number[] };
      w.longTasks = [];
      new PerformanceObserver((list) => list.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({ type: "longtask" });
    });
    const takeLongTasks = async () => {
      await page.waitForTimeout(500); // a long task is reported after it ends
      const tasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks.splice(0));
      return { longTasks: tasks.length, longestTaskMs: Math.max(0, ...tasks) };
    };
    await page.getByRole("button", { name: "Open sample" }).click();
    await page.getByRole("menuitem", { name: /FreeSurfer T1/ }).click();
    await page.getByText(/Reference: aparc/).waitFor({ timeout: 60_000 });
    await page.waitForTimeout(2500); // the scan's first drawing follows the reference's line
    const opening = await takeLongTasks();
    // segmentation of the sample: the status line and the browser's memory meanwhile
    let segPeakMiB = chromiumPssMiB();
    const segPoll = setInterval(() => (segPeakMiB = Math.max(segPeakMiB, chromiumPssMiB())), 300);
    const pressed = Date.now();
    await page.getByRole("button", { name: "Segment", exact: true }).click();
    // the first slices of the mask on screen while the rest still run
    await page.getByRole("status").filter({ hasText: "The mask so far is shown" }).waitFor({ timeout: 600_000 });
    const firstSlicesMs = Date.now() - pressed;
    const done = page.getByRole("status").filter({ hasText: /^Done in .*drawing/ });
    await done.waitFor({ timeout: 600_000 });
    clearInterval(segPoll);
    // the model's share: "8.3 s (256 slices; inference 7.5 s)"
    const time = ((await page.getByLabel("Segmentation result").textContent()) ?? "").match(/([\d.]+) s \(\d+ slices; inference ([\d.]+) s\)/);
    const segmentation = { status: (await done.textContent()) ?? "", runS: Number(time?.[1]), inferenceS: Number(time?.[2]), firstSlicesMs, peakMiB: segPeakMiB, ...(await takeLongTasks()), opening };
    // the same scan with the mirrored pass switched on (off by default on WASM): its wait and Dice
    const result = page.getByRole("group", { name: "Segmentation result" });
    const meanDice = async () => ((await page.getByRole("table", { name: "Dice" }).getByRole("row", { name: /^Mean/ }).textContent()) ?? "").match(/\d\.\d{3}/)?.[0] ?? "";
    const defaultPasses = (await result.getByLabel("Result passes").textContent()) ?? "";
    const defaultDice = await meanDice();
    const flip = page.getByRole("group", { name: "Inference options" }).getByRole("checkbox", { name: /mirrored left–right/ });
    if (!(await flip.isChecked())) await flip.check();
    await page.getByRole("button", { name: "Segment", exact: true }).click();
    await done.waitFor({ state: "hidden", timeout: 60_000 }); // the last run's "Done" gives way to this run's progress
    await done.waitFor({ timeout: 600_000 });
    const passes = { defaultPasses, defaultDice, mirrored: { status: (await done.textContent()) ?? "", passes: (await result.getByLabel("Result passes").textContent()) ?? "", dice: await meanDice() } };
    await flip.uncheck();
    const panel = page.getByRole("region", { name: "Train site adapter" });
    const idleMiB = chromiumPssMiB();
    let peakMiB = idleMiB;
    const poll = setInterval(() => (peakMiB = Math.max(peakMiB, chromiumPssMiB())), 500);
    const t0 = Date.now();
    await panel.getByRole("button", { name: "Train adapter" }).click();
    // the first step marks the end of the set-up (slices onto the model's grid, the training graph's session)
    const progress = panel.getByRole("progressbar", { name: "Training progress" });
    await progress.and(page.locator(`[aria-valuetext^="Step 1 / "]`)).waitFor({ timeout: 600_000 });
    const firstStepMs = Date.now() - t0;
    // training ends when the last step is reported; held-out scoring follows
    await progress.and(page.locator(`[aria-valuetext^="Step ${TRAIN_DEFAULTS.steps} / ${TRAIN_DEFAULTS.steps}"]`)).waitFor({ timeout: 1_200_000 });
    const ms = Date.now() - t0;
    const heldOut = (await panel.getByRole("note", { name: "Held-out Dice" }).textContent({ timeout: 600_000 })) ?? "";
    clearInterval(poll);
    // the same segmentation on one WASM thread (the page's ?threads=1), in a fresh page
    const one = await open("?threads=1");
    await one.getByRole("button", { name: "Open sample" }).click();
    await one.getByRole("menuitem", { name: /FreeSurfer T1/ }).click();
    await one.getByText(/Reference: aparc/).waitFor({ timeout: 60_000 });
    await one.getByRole("button", { name: "Segment", exact: true }).click();
    const oneDone = one.getByRole("status").filter({ hasText: /^Done in .*drawing/ });
    await oneDone.waitFor({ timeout: 600_000 });
    const oneThread = { status: (await oneDone.textContent()) ?? "", backend: (await one.getByLabel("Backend in use").textContent()) ?? "" };
    return { ms, firstStepMs, steps: TRAIN_DEFAULTS.steps, heldOut, idleMiB, peakMiB, segmentation, oneThread, passes };
  });
}
