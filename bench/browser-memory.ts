// Chromium's memory for a whole 256³ scan (issue 12 part 5): open niivue_fs/norm.mgz as a user
// does (Open scan), segment it, and sample the PSS of every Chromium process meanwhile.
// Called by bench/run.ts; `npx tsx bench/browser-memory.ts` runs it alone (after `vite build`)
// and appends its line to BENCHMARKS.md.
import { appendFileSync, existsSync } from "node:fs";
import { resolve } from "node:path";
import { DATA_DIR } from "../src/test/data";
import { chromiumPssMiB, withApp } from "./app-browser";

const PORT = 4176;
export const MEMORY_SCAN = "niivue_fs/norm.mgz";

export interface BrowserMemory {
  scan: string;
  /** Before the scan is opened (the app and its model loaded). */
  idleMiB: number;
  /** While the scan opens and is first drawn. */
  openPeakMiB: number;
  /** While it is segmented and its mask drawn. */
  segmentPeakMiB: number;
  status: string;
}

export async function browserMemory(root: string): Promise<BrowserMemory | null> {
  const scanPath = resolve(DATA_DIR, MEMORY_SCAN);
  if (!existsSync(scanPath)) return null;
  let peak = 0;
  const poll = setInterval(() => (peak = Math.max(peak, chromiumPssMiB())), 200);
  try {
    return await withApp(root, PORT, async (open) => {
      const page = await open();
      const idleMiB = chromiumPssMiB();
      peak = idleMiB;
      await page.getByLabel("Open scan").setInputFiles(scanPath);
      await page.getByText("256 × 256 × 256 voxels", { exact: false }).waitFor({ timeout: 60_000 });
      await page.getByLabel("Cursor").filter({ hasText: "Voxel" }).waitFor({ timeout: 60_000 });
      await page.waitForTimeout(2000);
      const openPeakMiB = peak;
      peak = chromiumPssMiB();
      await page.getByRole("button", { name: "Segment", exact: true }).click();
      const done = page.getByText(/^Done in /);
      await done.waitFor({ timeout: 300_000 });
      await page.waitForTimeout(2000);
      return { scan: MEMORY_SCAN, idleMiB, openPeakMiB, segmentPeakMiB: peak, status: (await done.textContent()) ?? "" };
    });
  } finally {
    clearInterval(poll);
  }
}

export const memoryLine = (m: BrowserMemory) =>
  `Chromium's memory for a 256³ scan (${m.scan}, 16.8 million voxels, opened with Open scan and segmented; PSS of all its processes, sampled every 0.2 s): ${m.idleMiB.toFixed(0)} MiB with the app ready, peak ${m.openPeakMiB.toFixed(0)} MiB while the scan opened and was first drawn, peak ${m.segmentPeakMiB.toFixed(0)} MiB while it was segmented ("${m.status}").`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = resolve(import.meta.dirname, "..");
  const m = await browserMemory(root);
  console.log(m);
  if (m) appendFileSync(resolve(root, "BENCHMARKS.md"), `\n${memoryLine(m)} (${new Date().toISOString().slice(0, 10)}, \`npx tsx bench/browser-memory.ts\`)\n`);
}
