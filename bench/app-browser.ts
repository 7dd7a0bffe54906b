// The built app in headless Chromium, as the benches drive it: vite preview on a port of its own,
// Chromium with software WebGL, pages opened once the model is ready; and Chromium's memory.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chromium, type Page } from "@playwright/test";

/** The seconds of an app status line "Done in 8.0 s (…)". */
export const doneSeconds = (status: string) => Number(/Done in ([\d.]+) s/.exec(status)?.[1]);

/** Proportional set size (MiB) of every Chromium process now: what the browser costs the machine (Linux /proc). */
export function chromiumPssMiB(): number {
  let kib = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      // Debian's /usr/bin/chromium is a wrapper script; the processes run /usr/lib/chromium/chromium
      if (!/chrom(e|ium)[^/]*$/.test(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0])) continue;
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
      if (m) kib += Number(m[1]);
    } catch {
      // the process ended while we looked
    }
  }
  return kib / 1024;
}

/**
 * `drive` with the built app served on `port` and a Chromium to drive it; `open` gives a page of the
 * app (with `query`) once its model is ready. Null when the app is not built.
 */
export async function withApp<T>(root: string, port: number, drive: (open: (query?: string) => Promise<Page>) => Promise<T>): Promise<T | null> {
  const executablePath = process.env.CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);
  if (!existsSync(`${root}/dist/index.html`)) return null;
  const server = spawn("npx", ["vite", "preview", "--port", String(port), "--strictPort"], { cwd: root, stdio: "ignore" });
  try {
    for (let i = 0; i < 100; i++) {
      if (await fetch(`http://localhost:${port}/`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    const browser = await chromium.launch({ executablePath, args: ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"] });
    const open = async (query = "") => {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await page.goto(`http://localhost:${port}/${query}`);
      await page.getByText(/ ready$/).waitFor({ timeout: 60_000 });
      return page;
    };
    try {
      return await drive(open);
    } finally {
      await browser.close();
    }
  } finally {
    server.kill();
  }
}
