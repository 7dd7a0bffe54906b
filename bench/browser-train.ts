// Times the default adapter training (10 slices, 300 steps) in headless Chromium with WASM, the
// way a user runs it: the built app (vite preview), the niivue T1 sample, "Train adapter".
// Called by bench/run.ts after `vite build`; returns null when no Chromium is at hand.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chromium } from "@playwright/test";

const PORT = 4175;

export async function browserTraining(root: string): Promise<{ ms: number; steps: number; heldOut: string } | null> {
  const executablePath = process.env.CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);
  if (!existsSync(`${root}/dist/index.html`)) return null;
  const server = spawn("npx", ["vite", "preview", "--port", String(PORT), "--strictPort"], { cwd: root, stdio: "ignore" });
  try {
    for (let i = 0; i < 100; i++) {
      if (await fetch(`http://localhost:${PORT}/`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    const browser = await chromium.launch({ executablePath, args: ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"] });
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await page.goto(`http://localhost:${PORT}/`);
      await page.getByText(/ ready$/).waitFor({ timeout: 60_000 });
      await page.getByRole("button", { name: "Open sample" }).click();
      await page.getByRole("menuitem", { name: /FreeSurfer T1/ }).click();
      await page.getByText(/Reference: aparc/).waitFor({ timeout: 60_000 });
      const panel = page.getByRole("region", { name: "Train site adapter" });
      const t0 = Date.now();
      await panel.getByRole("button", { name: "Train adapter" }).click();
      // training ends when the last step is reported; held-out scoring follows
      await panel.getByRole("progressbar", { name: "Training progress" }).and(page.locator('[aria-valuetext^="Step 300 / 300"]')).waitFor({ timeout: 1_200_000 });
      const ms = Date.now() - t0;
      const heldOut = (await panel.getByRole("note", { name: "Held-out Dice" }).textContent({ timeout: 600_000 })) ?? "";
      return { ms, steps: 300, heldOut };
    } finally {
      await browser.close();
    }
  } finally {
    server.kill();
  }
}
