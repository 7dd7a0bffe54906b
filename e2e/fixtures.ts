import { test as base, expect, type Locator, type Page } from "@playwright/test";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { writeNifti } from "../src/core/io";
import { applyAffine } from "../src/core/volume/affine";
import type { Mat4 } from "../src/core/volume/types";
import { dataPath, hasData, missingDataMessage } from "../src/test/data";

export { expect, dataPath, hasData, missingDataMessage };

export const ORIGIN = `http://localhost:${process.env.SITESEG_PORT ?? "4173"}`;
export const SCREENS = path.resolve("test-results/screens");

const sameOrigin = (url: string) =>
  url === ORIGIN || url.startsWith(`${ORIGIN}/`) || url.startsWith(`blob:${ORIGIN}/`) || url.startsWith("data:");

/**
 * Every test runs under a privacy guard: all requests of the browser context (pages and their
 * workers) are recorded, and the test fails if any of them left http://localhost:4173.
 */
export const test = base.extend<{ requests: string[]; pageErrors: string[] }>({
  /** Uncaught exceptions fail the test; console errors (CSP violations included) are printed. */
  pageErrors: [
    async ({ page }, use, info) => {
      const errors: string[] = [];
      page.on("pageerror", (e) => void errors.push(e.message));
      page.on("console", (m) => {
        if (m.type() === "error") console.log(`[browser console error in "${info.title}"] ${m.text()} (${m.location().url})`);
      });
      await use(errors);
      expect(errors, "uncaught exceptions in the page").toEqual([]);
    },
    { auto: true },
  ],
  requests: [
    async ({ context }, use) => {
      const all: string[] = [];
      context.on("request", (r) => void all.push(r.url()));
      context.on("response", (r) => {
        if (r.status() >= 400) console.log(`[HTTP ${r.status()}] ${r.url()}`);
      });
      await use(all);
      expect(all.length, "the privacy guard saw no requests at all, so it was not watching").toBeGreaterThan(0);
      expect(all.filter((u) => !sameOrigin(u)), "requests that left the origin").toEqual([]);
    },
    { auto: true },
  ],
});

export async function screenshot(page: Page, name: string) {
  mkdirSync(SCREENS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENS, `${name}.png`) });
}

/** Loads the app and waits for the shipped model to be ready. */
export async function openApp(page: Page, { waitForModel = true, query = "" } = {}) {
  await page.goto(`/${query}`);
  await expect(page.getByRole("heading", { name: "siteseg" })).toBeVisible();
  if (waitForModel) await expect(page.getByText(/ ready$/)).toBeVisible({ timeout: 60_000 });
}

/** Opens a scan through the "Open scan" input and waits until the viewer shows it. */
export async function openScan(page: Page, file: string | { name: string; mimeType: string; buffer: Buffer }) {
  await page.getByLabel("Open scan").setInputFiles(file);
  const name = typeof file === "string" ? path.basename(file) : file.name;
  await expect(page.getByText(name, { exact: true })).toBeVisible({ timeout: 30_000 }); // read in a worker
  await expect(page.getByLabel("Cursor")).toContainText("Voxel", { timeout: 30_000 });
}

/** Presses Segment and waits for the run to finish (progress at its maximum and a result); `whileRunning` checks the page mid-run. */
export async function segment(page: Page, timeout = 240_000, whileRunning?: () => Promise<void>) {
  const started = Date.now();
  await page.getByRole("button", { name: "Segment", exact: true }).click();
  if (whileRunning) {
    await expect(page.getByRole("button", { name: "Cancel", exact: true })).toBeEnabled();
    await whileRunning();
  }
  const bar = page.getByRole("progressbar", { name: "Segmentation progress" });
  await expect(page.getByRole("status").filter({ hasText: /^Done in/ })).toBeVisible({ timeout });
  const max = await bar.getAttribute("aria-valuemax");
  expect(Number(max)).toBeGreaterThan(0);
  await expect(bar).toHaveAttribute("aria-valuenow", max!);
  await expect(bar).toContainText(`${max} / ${max} slices`);
  return Date.now() - started;
}

export interface PixelStats {
  total: number;
  /** Pixels within `tol` (per channel) of each colour. */
  near: number[];
  /** Pixels whose channels differ by more than 40 (not a grey level). */
  chromatic: number;
  /** Pixels brighter than the background. */
  lit: number;
}

/**
 * Reads a screenshot of `target` (or a PNG file's bytes) by pixels, decoding the PNG inside the
 * page (no network, no extra packages): how many pixels lie near each colour, and how many are
 * coloured at all.
 */
export async function pixelStats(page: Page, target: Locator | Buffer, colours: [number, number, number][], tol = 24): Promise<PixelStats> {
  const png = Buffer.isBuffer(target) ? target : await target.screenshot();
  return page.evaluate(
    async ({ b64, colours, tol }) => {
      const bin = atob(b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      const bmp = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
      const cv = new OffscreenCanvas(bmp.width, bmp.height);
      const ctx = cv.getContext("2d")!;
      ctx.drawImage(bmp, 0, 0);
      const px = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
      const near = colours.map(() => 0);
      let chromatic = 0;
      let lit = 0;
      for (let p = 0; p < px.length; p += 4) {
        const r = px[p], g = px[p + 1], b = px[p + 2];
        if (Math.max(r, g, b) - Math.min(r, g, b) > 40) chromatic++;
        if (r + g + b > 3 * 40) lit++;
        colours.forEach((c, i) => {
          if (Math.abs(r - c[0]) <= tol && Math.abs(g - c[1]) <= tol && Math.abs(b - c[2]) <= tol) near[i]++;
        });
      }
      return { total: px.length / 4, near, chromatic, lit };
    },
    { b64: png.toString("base64"), colours, tol },
  );
}

/** The classes of the first shipped model, read from its manifest on disk. */
export function shippedClasses(): { index: number; name: string; color: [number, number, number] }[] {
  const root = path.resolve("public/models");
  const ids = JSON.parse(readFileSync(path.join(root, "index.json"), "utf8")) as string[];
  const manifest = JSON.parse(readFileSync(path.join(root, ids[0], "manifest.json"), "utf8")) as { classes: { index: number; name: string; color: [number, number, number] }[] };
  return manifest.classes;
}

/**
 * The passes (inference option ids) the shipped default model runs by default on a backend named
 * as the app shows it ("wasm (2 threads)", "webgpu"): its manifest's defaults less those it leaves
 * off there (`offByDefaultOn`).
 */
export function shippedDefaultPasses(backend: string): string[] {
  const family = /webgpu/.test(backend) ? "webgpu" : "wasm";
  const manifest = JSON.parse(readFileSync("public/models/siteseg-tissue/manifest.json", "utf8")) as { inference: { options: { id: string; kind: string; default?: boolean; offByDefaultOn?: Record<string, string> }[] } };
  return manifest.inference.options.filter((o) => o.default && o.kind !== "selfAdapt" && !o.offByDefaultOn?.[family]).map((o) => o.id);
}

/** The number in the Current slice readout ("Axial slice 120 / 255"). */
export async function currentSlice(page: Page): Promise<number> {
  const text = (await page.getByLabel("Current slice").textContent()) ?? "";
  const m = text.match(/slice (\d+)/);
  if (!m) throw new Error(`no slice number in "${text}"`);
  return Number(m[1]);
}

/** Tissue classes of `tinyScan` (0 bg, 1 CSF, 2 GM, 3 WM) on its grid. */
export function tinyLabel(shift = 0): Uint8Array {
  return tinyVolume(shift, (v) => (v === 110 ? 3 : v === 70 ? 2 : v === 25 ? 1 : 0), Uint8Array);
}

/** A tiny synthetic T1-like head: 32×32×6 voxels, 1 mm, RAS; bright "WM" core in a darker shell; `shift` moves it in x (mm). */
export function tinyScan(shift = 0): Uint8Array {
  return tinyVolume(shift, (v) => v, Float32Array);
}

function tinyVolume(shift: number, value: (v: number) => number, Type: Float32ArrayConstructor | Uint8ArrayConstructor): Uint8Array {
  const dims: [number, number, number] = [32, 32, 6];
  const data = new Type(dims[0] * dims[1] * dims[2]);
  for (let k = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++)
      for (let i = 0; i < dims[0]; i++) {
        const r = Math.hypot((i - 15.5) / 13, (j - 15.5) / 11, (k - 2.5) / 6);
        data[i + dims[0] * (j + dims[1] * k)] = value(r < 0.45 ? 110 : r < 0.75 ? 70 : r < 0.9 ? 25 : 0);
      }
  const affine = [1, 0, 0, -16 + shift, 0, 1, 0, -16, 0, 0, 1, -3, 0, 0, 0, 1];
  return writeNifti({ dims, affine, data }, { gzip: true });
}

// A head-like phantom placed in world space by any affine (geometry.spec.ts, export.spec.ts).

/** Phantom in world mm: an ellipsoid off the origin, WM core, GM shell, darker rim. */
function phantom(x: number, y: number, z: number): number {
  const r = Math.hypot((x - 7) / 30, (y + 5) / 36, (z - 3) / 26);
  return r < 0.5 ? 110 : r < 0.8 ? 72 : r < 0.95 ? 28 : 0;
}

/** Voxels of the phantom sampled through `affine` over `dims` (int16). */
export function phantomVolume(affine: Mat4, dims: [number, number, number]) {
  const data = new Int16Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0, d = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++)
      for (let i = 0; i < dims[0]; i++, d++) data[d] = phantom(...applyAffine(affine, i, j, k));
  return { dims, affine, data };
}

/** A grid of `dims` voxels whose centre lands on the world origin, for the given voxel axes (mm per step). */
export function centred(columns: number[][], dims: [number, number, number]): Mat4 {
  const m: Mat4 = [...columns[0], 0, ...columns[1], 0, ...columns[2], 0, 0, 0, 0, 1];
  // columns are given as x,y,z per voxel axis: transpose into the row-major affine
  const a: Mat4 = [m[0], m[4], m[8], 0, m[1], m[5], m[9], 0, m[2], m[6], m[10], 0, 0, 0, 0, 1];
  const c = applyAffine(a, (dims[0] - 1) / 2, (dims[1] - 1) / 2, (dims[2] - 1) / 2);
  a[3] = -c[0];
  a[7] = -c[1];
  a[11] = -c[2];
  return a;
}

/** Opens a built-in sample site (scan, reference, its adapter selected) from the "Open sample" menu. */
export async function openSample(page: Page, name: RegExp) {
  await page.getByRole("button", { name: "Open sample" }).click();
  await page.getByRole("menu", { name: "Sample sites" }).getByRole("menuitem", { name }).click();
  await expect(page.getByLabel("Cursor")).toContainText("Voxel", { timeout: 30_000 });
}

/** Saves every download of the page in a fresh folder; the returned function waits for the named files and gives their paths. */
export function collectDownloads(page: Page) {
  const dir = mkdtempSync(path.join(tmpdir(), "siteseg-downloads-"));
  const saved = new Map<string, string>();
  page.on("download", async (d) => {
    const to = path.join(dir, d.suggestedFilename());
    await d.saveAs(to);
    saved.set(d.suggestedFilename(), to);
  });
  return async (...names: string[]) => {
    // on failure the message lists what was downloaded instead
    await expect.poll(() => [...saved.keys()], { message: `downloads ${names.join(", ")}`, timeout: 30_000 }).toEqual(expect.arrayContaining(names));
    return names.map((n) => saved.get(n)!);
  };
}
