import { defineConfig } from "@playwright/test";
import { existsSync } from "node:fs";

// Debian's Chromium (Playwright cannot download its own browsers here); CHROMIUM_PATH overrides.
const executablePath = process.env.CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);

// WebGL2 for niivue through SwiftShader (software), no GPU needed; nothing phones home.
const baseArgs = [
  "--no-sandbox",
  "--use-angle=swiftshader",
  "--enable-unsafe-swiftshader",
  "--ignore-gpu-blocklist",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-default-apps",
  "--metrics-recording-only",
];

// SITESEG_PORT serves the app on another port (two checkouts or sessions testing side by side).
const port = process.env.SITESEG_PORT ?? "4173";

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results/artifacts",
  fullyParallel: false,
  workers: 1, // a 2-core machine; inference itself uses the threads
  retries: 0,
  timeout: 300_000,
  expect: { timeout: 15_000 },
  reporter: [["list"]],
  use: {
    baseURL: `http://localhost:${port}`,
    viewport: { width: 1440, height: 900 },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    actionTimeout: 20_000,
    // the PWA's service worker precaches ~40 MB on every fresh context; only offline.spec.ts wants it
    serviceWorkers: "block",
  },
  webServer: {
    command: `npx vite preview --port ${port} --strictPort`,
    url: `http://localhost:${port}`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
  projects: [
    {
      name: "chromium",
      testIgnore: /webgpu\.spec\.ts/,
      use: { browserName: "chromium", launchOptions: { executablePath, args: baseArgs } },
    },
    {
      name: "webgpu",
      testMatch: /webgpu\.spec\.ts/,
      use: {
        browserName: "chromium",
        launchOptions: {
          executablePath,
          // WebGPU on SwiftShader's Vulkan: slow, but a real adapter without a GPU.
          args: [...baseArgs, "--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-webgpu-adapter=swiftshader"],
        },
      },
    },
  ],
});
