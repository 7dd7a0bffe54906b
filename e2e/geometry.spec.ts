import type { Locator, Page } from "@playwright/test";
import { gunzipSync } from "fflate";
import { writeMgh, writeNifti } from "../src/core/io";
import type { Mat4 } from "../src/core/volume/types";
import { centred, expect, openApp, openScan, phantomVolume, screenshot, segment, test } from "./fixtures";

// One scan, one geometry: each file below holds the same head-like phantom placed in world space
// by the transform the project's reader takes (sform first, then qform; FreeSurfer's rule for MGH).
// The header tricks make a second reader disagree (qform code above sform code, a junk qform
// beside a valid sform, no RAS flag in an MGH). After Segment, the mask drawn by the viewer must
// sit on the scan drawn by the viewer, and the cursor readout must name a tissue class there.

/** Patches NIfTI-1 header fields of an uncompressed file (offsets from the standard). */
function patchNifti(bytes: Uint8Array, p: { qformCode?: number; sformCode?: number; quatern?: [number, number, number]; qoffset?: [number, number, number]; srow?: Mat4 }) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (p.qformCode !== undefined) v.setInt16(252, p.qformCode, true);
  if (p.sformCode !== undefined) v.setInt16(254, p.sformCode, true);
  p.quatern?.forEach((q, n) => v.setFloat32(256 + 4 * n, q, true));
  p.qoffset?.forEach((q, n) => v.setFloat32(268 + 4 * n, q, true));
  if (p.srow) for (let n = 0; n < 12; n++) v.setFloat32(280 + 4 * n, p.srow[n], true);
  return bytes;
}

const nii = (vol: ReturnType<typeof phantomVolume>) => writeNifti(vol, { gzip: false });
const file = (name: string, buffer: Uint8Array) => ({ name, mimeType: "application/octet-stream", buffer: Buffer.from(buffer) });
const shifted = (a: Mat4, dx: number): Mat4 => a.map((x, n) => (n === 3 ? x + dx : x));

const D: [number, number, number] = [44, 48, 40];
const RAS = centred([[2, 0, 0], [0, 2, 0], [0, 0, 2]], D);
const LPS = centred([[-2, 0, 0], [0, -2, 0], [0, 0, 2]], D);
const LIA_DIMS: [number, number, number] = [44, 40, 48];
const LIA = centred([[-2, 0, 0], [0, 0, -2], [0, 2, 0]], LIA_DIMS);
const tilt = (25 * Math.PI) / 180;
const OBLIQUE = centred([[2, 0, 0], [0, 2 * Math.cos(tilt), 2 * Math.sin(tilt)], [0, -2 * Math.sin(tilt), 2 * Math.cos(tilt)]], D);

const CASES: { title: string; make: () => { name: string; mimeType: string; buffer: Buffer } }[] = [
  { title: "RAS", make: () => file("ras.nii", nii(phantomVolume(RAS, D))) },
  { title: "LPS", make: () => file("lps.nii", nii(phantomVolume(LPS, D))) },
  { title: "LIA", make: () => file("lia.nii", nii(phantomVolume(LIA, LIA_DIMS))) },
  { title: "oblique (25° about x)", make: () => file("oblique.nii", nii(phantomVolume(OBLIQUE, D))) },
  {
    // The project reads the sform; a reader that lets the higher qform code win puts the head 30 mm away.
    title: "qform code above sform code",
    make: () => file("qform-above-sform.nii", patchNifti(nii(phantomVolume(RAS, D)), { qformCode: 2, sformCode: 1, quatern: [0, 0, 0], qoffset: [RAS[3] + 30, RAS[7], RAS[11]] })),
  },
  {
    title: "sform only (junk qform)",
    make: () => file("sform-only.nii", patchNifti(nii(phantomVolume(LPS, D)), { qformCode: 0, sformCode: 2, quatern: [0, 1, 0], qoffset: [55, -3, 12] })),
  },
  {
    // qform: a 180° turn about z (LPS) with the LPS grid's offsets; the sform rows are junk and its code 0.
    title: "qform only (junk sform)",
    make: () => file("qform-only.nii", patchNifti(nii(phantomVolume(LPS, D)), { qformCode: 1, sformCode: 0, quatern: [0, 0, 1], qoffset: [LPS[3], LPS[7], LPS[11]], srow: shifted(RAS, 25) })),
  },
  { title: "MGH with a valid RAS flag (LIA)", make: () => file("lia.mgz", writeMgh(phantomVolume(LIA, LIA_DIMS))) },
  {
    // Without the flag FreeSurfer ignores the stored geometry: 1 mm voxels, coronal default axes, centre 0.
    title: "MGH without a valid RAS flag",
    make: () => {
      const dims: [number, number, number] = [88, 80, 96];
      const fsDefault = centred([[-1, 0, 0], [0, 0, -1], [0, 1, 0]], dims);
      const raw = gunzipSync(writeMgh(phantomVolume(fsDefault, dims)));
      const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      v.setInt16(28, 0, false); // goodRASFlag off; the stored (LIA, 1 mm) geometry stays behind as bait
      for (let n = 0; n < 3; n++) v.setFloat32(30 + 4 * n, 2.5, false); // bait voxel sizes
      return file("no-ras-flag.mgh", raw);
    },
  },
];

/** Per canvas pixel: 2 = white (the phantom's bright core in the scan), 4/5/6 = the WM/GM/CSF mask colours, 3 = other lit (grey) pixels, 0 = dark. */
async function whiteAndYellow(page: Page, target: Locator): Promise<Uint8Array> {
  const png = await target.screenshot();
  const codes = await page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bmp = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
    const ctx = new OffscreenCanvas(bmp.width, bmp.height).getContext("2d")!;
    ctx.drawImage(bmp, 0, 0);
    const px = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
    const out: number[] = [];
    for (let p = 0; p < px.length; p += 4) {
      const [r, g, b] = [px[p], px[p + 1], px[p + 2]];
      // mask colours at opacity 1 (the shipped classes): 4 = WM yellow, 5 = GM orange, 6 = CSF blue
      const cls = r > 200 && g > 200 && b < 170 ? 4 : r > 200 && g < 170 && b < 120 ? 5 : b > 200 && r < 150 ? 6 : 0;
      out.push(r > 225 && g > 225 && b > 225 ? 2 : cls || (Math.max(r, g, b) > 20 ? 3 : 0));
    }
    return { out, width: bmp.width };
  }, png.toString("base64"));
  return Uint8Array.from(codes.out);
}

/** Centre of the pixels with `code`, as [x, y] in CSS pixels of a `width`-wide screenshot. */
function centre(codes: Uint8Array, code: number, width: number): [number, number] {
  let sx = 0, sy = 0, n = 0;
  codes.forEach((c, p) => {
    if (c !== code) return;
    sx += p % width;
    sy += Math.floor(p / width);
    n++;
  });
  return [sx / n, sy / n];
}

/** Segment case `c` and check that the mask drawn sits on the scan drawn, and the readout names its voxel and class. */
async function lineUp(page: Page, c: (typeof CASES)[number], query = "") {
  await openApp(page, { query });
  const f = c.make();
  await openScan(page, f);
  await page.getByRole("button", { name: "Axial", exact: true }).click();
  const canvas = page.getByLabel("Scan viewer");
  await page.waitForTimeout(300);
  const width = Math.round((await canvas.boundingBox())!.width);
  const scan = await whiteAndYellow(page, canvas);
  const white = scan.reduce((n, c) => n + (c === 2 ? 1 : 0), 0);
  expect(white, "the scan's bright core is drawn").toBeGreaterThan(2000);

  await segment(page, 120_000);
  await page.getByLabel("Mask opacity").fill("1");
  await page.waitForTimeout(300);
  const mask = await whiteAndYellow(page, canvas);
  await screenshot(page, `geometry-${f.name.replace(/\W+/g, "-")}`);
  // The class the model gives the phantom's bright core (which one is the model's call, not the
  // point) is drawn on that core: a mask placed by another transform than the scan's (10 mm
  // off, or mirrored) falls largely outside it.
  const counts = [4, 5, 6].map((code) => {
    let n = 0, on = 0;
    mask.forEach((c, p) => {
      if (c !== code) return;
      n++;
      if (scan[p] === 2) on++;
    });
    return { code, n, on };
  });
  // (the class most confined to the core, among those drawn over a part of it: how much of a
  // cartoon phantom the model calls white or grey matter is the model's call, not the point)
  const drawn = counts.filter((k) => k.n > 0.02 * white);
  expect(drawn.length, "some class is drawn over part of the core").toBeGreaterThan(0);
  const main = drawn.reduce((a, b) => (b.on / b.n > a.on / a.n ? b : a));
  console.log(`${c.title}: the core's class (code ${main.code}) has ${main.n} pixels, ${((100 * main.on) / main.n).toFixed(1)}% on the scan's core (${white} core pixels)`);
  expect(main.on / main.n).toBeGreaterThan(0.9);
  const [wx, wy] = centre(scan, 2, width);

  // The cursor readout, over the masked core pixel nearest the middle of the drawn core (inside
  // one class's drawing, away from its edges), reads this scan's core voxel and the class drawn there.
  // (a voxel spans several screen pixels: stay a dozen pixels, over a voxel, from any edge)
  const r = 12;
  const around = [-r, 0, r].flatMap((dy) => [-r, 0, r].map((dx) => dy * width + dx));
  const inside = (p: number) => mask[p] >= 4 && around.every((o) => mask[p + o] === mask[p] && scan[p + o] === 2);
  let best = -1, bestDistance = Infinity;
  mask.forEach((_, p) => {
    if (!inside(p)) return;
    const d = Math.hypot((p % width) - wx, Math.floor(p / width) - wy);
    if (d < bestDistance) [best, bestDistance] = [p, d];
  });
  expect(best, "a core pixel inside the mask's drawing").toBeGreaterThanOrEqual(0);
  const box = (await canvas.boundingBox())!; // screenshots are in CSS pixels (device scale 1)
  await page.mouse.move(box.x + (best % width) + 0.5, box.y + Math.floor(best / width) + 0.5);
  const name = { 4: "WM", 5: "GM", 6: "CSF" }[mask[best]];
  await expect(page.getByLabel("Cursor")).toContainText(new RegExp(`value 110 · ${name}\\b`));
}

test.describe("one scan, one geometry", () => {
  for (const c of CASES) test(`mask and scan line up: ${c.title}`, ({ page }) => lineUp(page, c));
});

// niivue's plain public path, which the viewer falls back on when a niivue upgrade lacks an
// internal of its boundary (src/features/viewer/niivue/boundary.ts): the same pictures, slower.
test.describe("on niivue's plain path", () => {
  for (const c of CASES.filter((c) => ["RAS", "LIA", "oblique (25° about x)"].includes(c.title))) {
    test(`mask and scan line up: ${c.title}`, async ({ page }) => {
      await lineUp(page, c, "?niivue=plain");
      await expect(page.getByRole("alert").filter({ hasText: "How the viewer draws" })).toContainText("niivue's plain, slower way");
    });
  }
});
