import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, siteseg as run } from "../test/cli";

const SLOW = 300_000;
const siteseg = (...args: string[]) => run(args, SLOW);
// A real site that ships with the app: the niivue FreeSurfer T1 sample and its reference.
const IMAGE = join(ROOT, "public/samples/niivue-t1/norm.mgz");
const LABEL = join(ROOT, "public/samples/niivue-t1/aparc.a2009s+aseg.mgz");

let tmp = "";
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "siteseg-adapt-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("siteseg adapt", () => {
  it(
    "trains an adapter that improves the held-out slices, and its folder works with --adapter and --holdout",
    async () => {
      const out = join(tmp, "my-site");
      // a short run keeps CI lean; the shipped recipe is 300 steps
      const r = await siteseg("adapt", "--image", IMAGE, "--label", LABEL, "--steps", "80", "--out", out, "--threads", "2", "--json");
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
      const [held] = report.heldOut;
      console.info(`niivue-t1 held out, 80 steps: base ${held.base.toFixed(3)} → adapter ${held.adapter.toFixed(3)} (${held.slices} slices)`);
      expect(report.trainingSlices.indices).toHaveLength(9);
      expect(held.slices).toBeGreaterThan(100);
      expect(held.adapter).toBeGreaterThan(held.base + 0.02);
      expect(r.stdout).toMatch(/held-out mean Dice \(\d+ slices more than 5 away\): base 0\.\d{3} → adapter 0\.\d{3} \(\+0\.\d{3}\)/);

      const config = JSON.parse(await readFile(join(out, "adapter_config.json"), "utf8"));
      expect(config).toMatchObject({ peft_type: "LORA", base_model_name_or_path: "siteseg-tissue", r: 2, lora_alpha: 4, site: "my-site" });
      expect(config.provenance.base_model.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(config.provenance.source_sha256[0]).toMatch(/^[0-9a-f]{64}$/);
      expect(config.provenance.recipe.steps).toBe(80);

      // the saved folder is a working adapter: the same held-out Dice through evaluate
      const ev = await siteseg("evaluate", "--image", IMAGE, "--label", LABEL, "--adapter", out, "--holdout", out, "--json");
      expect(ev.code, ev.stderr).toBe(0);
      expect(JSON.parse(ev.stdout).meanDice.toFixed(3)).toBe(held.adapter.toFixed(3));
    },
    SLOW,
  );

  it("refuses a bad command line and slices outside the scan, with one line each", async () => {
    const both = await siteseg("adapt", "--image", IMAGE, "--label", LABEL, "--out", join(tmp, "x"), "--slices", "40,60", "--n-slices", "3");
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--slices or --n-slices, not both/);
    const outside = await siteseg("adapt", "--image", IMAGE, "--label", LABEL, "--out", join(tmp, "y"), "--slices", "40,9999", "--steps", "1");
    expect(outside.code).toBe(1);
    expect(outside.stderr).toMatch(/slice 9999 is outside the scan/);
    expect(outside.stderr).not.toMatch(/\n\s+at /);
  });
});
