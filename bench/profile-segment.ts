// Where the page's thread goes while the niivue T1 sample is segmented in headless Chromium
// (software WebGL): the long tasks (over 50 ms) from pressing Segment, and each busy stretch of the
// page's CPU profile with its costliest functions. The tool behind BENCHMARKS.md's "the wait in
// the browser" section; not part of `npm run bench`. Readable names need an unminified build:
//   npx vite build --minify false && npx tsx bench/profile-segment.ts
import { spawn } from "node:child_process";
import { chromium } from "@playwright/test";

const PORT = 4181;
interface ProfileNode { id: number; callFrame: { functionName: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

const server = spawn("npx", ["vite", "preview", "--port", String(PORT), "--strictPort"], { stdio: "ignore" });
for (let i = 0; i < 100 && !(await fetch(`http://localhost:${PORT}/`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 300));
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"] });
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`http://localhost:${PORT}/`);
  await page.getByText(/ ready$/).waitFor({ timeout: 60_000 });
  await page.getByRole("button", { name: "Open sample" }).click();
  await page.getByRole("menuitem", { name: /FreeSurfer T1/ }).click();
  await page.getByText(/Reference: aparc/).waitFor({ timeout: 60_000 });
  await page.waitForTimeout(3000);
  const pressedAt = await page.evaluate(() => {
    const w = window as unknown as { longTasks: [number, number][] };
    w.longTasks = [];
    new PerformanceObserver((list) => list.getEntries().forEach((e) => w.longTasks.push([e.startTime, e.duration]))).observe({ type: "longtask" });
    return performance.now();
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 500 });
  await cdp.send("Profiler.start");
  await page.getByRole("button", { name: "Segment", exact: true }).click();
  const done = page.getByRole("status").filter({ hasText: /^Done in .*drawing/ });
  await done.waitFor({ timeout: 600_000 });
  await page.waitForTimeout(2000);
  const { profile } = (await cdp.send("Profiler.stop")) as unknown as { profile: Profile };
  const longTasks = await page.evaluate(() => (window as unknown as { longTasks: [number, number][] }).longTasks);
  console.log(`status: ${await done.textContent()}`);
  console.log(`long tasks from pressing Segment [start ms, duration ms]: ${JSON.stringify(longTasks.map(([t, d]) => [Math.round(t - pressedAt), Math.round(d)]))}`);
  // busy stretches: runs of samples outside (idle) and (program), with their costliest functions
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  let t = 0, start = 0, busy = 0, funcs = new Map<string, number>();
  const flush = () => {
    if (busy > 40) console.log(`busy ${busy.toFixed(0)} ms at ${start.toFixed(0)} ms: ${[...funcs].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(", ")}`);
    busy = 0;
    funcs = new Map();
  };
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    t += dt;
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === "(idle)" || frame.functionName === "(program)") return flush();
    if (!busy) start = t;
    busy += dt;
    const key = `${frame.functionName || "(anonymous)"}:${frame.lineNumber}`;
    funcs.set(key, (funcs.get(key) ?? 0) + dt);
  });
  flush();
} finally {
  await browser.close();
  server.kill();
}
