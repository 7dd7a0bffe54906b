import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readVolume, writeNifti } from "../core/io";
import { DATA_EFFICIENCY_FILE, formatGain, formatMeanSd, type StudyJson } from "../core/study";
import type { Volume } from "../core/volume/types";
import { dataPath, hasData, missingDataMessage } from "../test/data";
import { ROOT, siteseg as run } from "../test/cli";

const MODEL = join(ROOT, "public/models/siteseg-tissue/manifest.json");
const SLOW = 300_000;

const siteseg = (...args: string[]) => run(args, SLOW);

let tmp = "";
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "siteseg-study-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("siteseg study and merge: usage", () => {
  it("exits 2 on a bad command line", async () => {
    const none = await siteseg("study");
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^siteseg: missing the case list/);
    const shard = await siteseg("study", tmp, "--shard", "4/3");
    expect(shard.code).toBe(2);
    expect(shard.stderr).toMatch(/--shard: shard index must be between 1 and 3/);
    expect((await siteseg("merge")).code).toBe(2);
    const pdf = await siteseg("study", tmp, "--report", "report.pdf");
    expect(pdf.code).toBe(2);
    expect(pdf.stderr).toMatch(/^siteseg: --report writes an HTML file: its name must end in \.html or \.htm, got "report\.pdf"/);
    expect((await siteseg("merge", "x.json", "--report", "r.txt")).code).toBe(2);
  });

  it("prints help", async () => {
    const r = await siteseg("study", "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--shard I/N");
  });

  it("merge refuses what is not a study, naming the file", async () => {
    const file = join(tmp, "other.json");
    await writeFile(file, JSON.stringify({ hello: 1 }));
    const r = await siteseg("merge", file);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`siteseg: ${file} is not a siteseg study (written by siteseg study --json)\n`);
  });
});

const SPM = ["spm152/avg152T1.nii", "spm152/avg152T2.nii", "spm152/tissue.nii.gz"];
const haveData = hasData(...SPM);
const haveModel = existsSync(MODEL);

/** Slices k0..k0+n-1 of a volume, placed where they were: a small scan that segments in a second. */
function slab(v: Volume, k0: number, n: number): Volume {
  const plane = v.dims[0] * v.dims[1];
  const a = [...v.affine];
  for (const r of [0, 1, 2]) a[r * 4 + 3] += a[r * 4 + 2] * k0;
  return { dims: [v.dims[0], v.dims[1], n], affine: a, data: v.data.slice(k0 * plane, (k0 + n) * plane) };
}

describe.skipIf(!haveData || !haveModel)(
  haveData ? (haveModel ? "siteseg study on SPM152 slabs" : `siteseg study: skipped, no shipped model at ${MODEL}`) : `siteseg study: skipped, ${missingDataMessage(...SPM)}`,
  () => {
    const dir = () => join(tmp, "study");
    beforeAll(async () => {
      const read = async (f: string) => readVolume(new Uint8Array(await readFile(dataPath(f))), f);
      const [t1, t2, tissue] = await Promise.all(SPM.map(read));
      const put = async (path: string, v: Volume) => {
        await mkdir(join(dir(), path, ".."), { recursive: true });
        await writeFile(join(dir(), path), writeNifti(v, { gzip: path.endsWith(".gz") }));
      };
      // site spm152 has a shipped adapter, site clinic none
      await put("spm152/t1.nii", slab(t1, 40, 10));
      await put("spm152/t1_seg.nii.gz", slab(tissue, 40, 10));
      await put("spm152/t2.nii", slab(t2, 44, 10));
      await put("spm152/t2_seg.nii.gz", slab(tissue, 44, 10));
      await put("clinic/a/scan.nii", slab(t1, 30, 10));
      await put("clinic/a/scan_label.nii.gz", slab(tissue, 30, 10));
      await put("clinic/orphan.nii.gz", slab(tissue, 30, 2));
      // a truncated scan: the study records it and goes on
      const whole = writeNifti(slab(t1, 40, 10), { gzip: false });
      await writeFile(join(dir(), "spm152/broken.nii"), whole.subarray(0, 2000));
      await put("spm152/broken_seg.nii.gz", slab(tissue, 40, 10));
      await writeFile(join(dir(), "clinic/notes.txt"), "not a volume");
      await writeFile(join(dir(), "clinic/.DS_Store"), "hidden");
    });

    it("a whole run and 3 shards merged give the same table, cases and CSV to the last bit", { timeout: SLOW }, async () => {
      const out = (name: string) => join(tmp, name);
      const files = (p: string) => ["--json", out(`${p}.json`), "--csv", out(`${p}.csv`), "--cases-csv", out(`${p}-cases.csv`), "--report", out(`${p}.html`)];
      const t0 = performance.now();
      const [whole, ...shards] = await Promise.all([
        siteseg("study", dir(), ...files("whole"), "--threads", "1"),
        ...[1, 2, 3].map((k) => siteseg("study", dir(), "--shard", `${k}/3`, "--json", out(`shard-${k}.json`), "--threads", "1")),
      ]);
      console.info(`study: whole run and 3 shards in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      expect(whole.code, whole.stderr).toBe(0);
      expect(whole.stderr).toContain("1 volume left unpaired: clinic/orphan.nii.gz");
      expect(whole.stderr).toMatch(/\[2\/4\] spm152\/broken: failed: spm152\/broken\.nii: /);
      expect(whole.stdout).toMatch(/^clinic +1 +0 +— +0\.\d{3} +— +— +— +0$/m);
      expect(whole.stdout).toMatch(/^spm152 +2 +1 +spm152 +0\.\d{3} ± 0\.\d{3} +0\.\d{3} ± 0\.\d{3} +[+-]?0\.\d{3} ± 0\.\d{3} +[+-]?0\.\d{3} to [+-]?0\.\d{3} +0$/m);
      // volume error and HD95 per site: base and adapter, mean ± sd over cases (one case: the mean)
      expect(whole.stdout).toMatch(/^clinic +\d+\.\d +— +\d+\.\d{2} +—$/m);
      expect(whole.stdout).toMatch(/^spm152 +\d+\.\d ± \d+\.\d +\d+\.\d ± \d+\.\d +\d+\.\d{2} ± \d+\.\d{2} +\d+\.\d{2} ± \d+\.\d{2}$/m);
      expect(whole.stdout).toContain("Failed cases:\n  spm152/broken: spm152/broken.nii: ");

      const doc = JSON.parse(await readFile(out("whole.json"), "utf8")) as StudyJson;
      expect(doc).toMatchObject({ kind: "siteseg-study", schemaVersion: 1, model: { id: "siteseg-tissue" }, classes: ["CSF", "GM", "WM"], shard: null });
      expect(doc.cases.map((c) => [c.id, c.site, c.adapter, c.convention, c.error === null])).toEqual([
        ["clinic/a/scan", "clinic", null, "classes", true],
        ["spm152/broken", "spm152", null, null, false],
        ["spm152/t1", "spm152", "spm152", "classes", true],
        ["spm152/t2", "spm152", "spm152", "classes", true],
      ]);
      for (const c of doc.cases.filter((c) => c.error === null)) {
        expect(c.base?.meanDice, c.id).toBeGreaterThan(0.3);
        for (const name of doc.classes) {
          expect(c.base?.hd95Mm?.[name], `${c.id} ${name}`).toBeGreaterThanOrEqual(0);
          expect(c.base?.volumeErrorMl?.[name], `${c.id} ${name}`).toBeTypeOf("number");
        }
        expect(c.adapted === null, c.id).toBe(c.site === "clinic");
      }
      expect(doc.table.map((r) => [r.site, r.n, r.failed, r.adapter])).toEqual([["clinic", 1, 0, null], ["spm152", 2, 1, "spm152"]]);
      console.info(`spm152 slabs: base ${doc.table[1].base.mean?.toFixed(3)}, adapter ${doc.table[1].adapted?.mean?.toFixed(3)}`);

      // shard 2 holds only the broken case: nothing scored, exit 1, its JSON written all the same
      expect(shards.map((s) => s.code), shards.map((s) => s.stderr).join("\n")).toEqual([0, 1, 0]);
      expect(shards[1].stderr).toContain("none of the 1 cases could be scored");
      const shardDocs = await Promise.all([1, 2, 3].map(async (k) => JSON.parse(await readFile(out(`shard-${k}.json`), "utf8")) as StudyJson));
      expect(shardDocs.map((d) => [d.shard, d.cases.map((c) => c.id)])).toEqual([
        [{ index: 1, count: 3, total: 4 }, ["clinic/a/scan", "spm152/t2"]],
        [{ index: 2, count: 3, total: 4 }, ["spm152/broken"]],
        [{ index: 3, count: 3, total: 4 }, ["spm152/t1"]],
      ]);

      const merged = await siteseg("merge", out("shard-3.json"), out("shard-1.json"), out("shard-2.json"), ...files("merged"));
      expect(merged.code, merged.stderr).toBe(0);
      expect(merged.stdout).toBe(whole.stdout);
      for (const ext of [".csv", "-cases.csv"]) {
        expect(await readFile(out(`merged${ext}`), "utf8"), ext).toBe(await readFile(out(`whole${ext}`), "utf8"));
      }
      // the JSON too, but for each case's time (a time, not a result: it differs between runs)
      const untimed = async (name: string) => JSON.stringify(JSON.parse(await readFile(out(name), "utf8")), (k, v: unknown) => (k === "ms" ? undefined : v));
      expect(await untimed("merged.json")).toBe(await untimed("whole.json"));

      // --report: the table's numbers, the model's and adapter's sha256, timings, the failed case; merged, the same table
      const manifest = JSON.parse(await readFile(MODEL, "utf8")) as { files: { model: { sha256: string } }; adapters: { shipped: { name: string; files: { weights: { sha256: string } } }[] } };
      const spmSha = manifest.adapters.shipped.find((a) => a.name === "spm152")!.files.weights.sha256;
      expect(doc.cases.filter((c) => c.adapter === "spm152").map((c) => c.adapterSha256)).toEqual([spmSha, spmSha]);
      expect(doc.model.sha256).toBe(manifest.files.model.sha256);
      for (const c of doc.cases) expect(c.ms, c.id).toBeGreaterThan(0);
      const html = await readFile(out("whole.html"), "utf8");
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).not.toMatch(/https?:|\/\/|<script|<link|<img|url\(/i);
      const text = (h: string) => h.replace(/<[^>]*>/g, " ").replace(/&amp;/g, "&").replace(/\s+/g, " ");
      const diceRows = (h: string) => [...(/<table id="dice-table"[\s\S]*?<\/table>/.exec(h)?.[0] ?? "").matchAll(/<tr>(<th scope="row">[\s\S]*?)<\/tr>/g)].map((m) => text(m[1]).trim());
      expect(diceRows(html)).toEqual(doc.table.map((r) => [r.site, r.n, r.trainedOn, r.adapter ?? "—", formatMeanSd(r.base.mean, r.base.sd), r.adapted ? formatMeanSd(r.adapted.mean, r.adapted.sd) : "—", r.gain ? formatMeanSd(r.gain.mean, r.gain.sd, true) : "—", r.gain?.ci95 ? `${formatGain(r.gain.ci95[0])} to ${formatGain(r.gain.ci95[1])}` : "—"].join(" ")));
      expect(text(html)).toContain(`Model file sha256 ${manifest.files.model.sha256}`);
      expect(text(html)).toContain(`spm152 spm152 ${spmSha}`);
      expect(text(html)).toMatch(/The study took [\d.]+ (s|min \d+ s) from start to finish\. 4 cases took [\d.]+ (s|min \d+ s) in all/);
      expect(text(html)).toContain("spm152/broken spm152 spm152/broken.nii: ");
      expect(text(html)).toContain(existsSync(join(MODEL, "..", DATA_EFFICIENCY_FILE)) ? "Labelled slices" : `Not measured: the model folder holds no ${DATA_EFFICIENCY_FILE}.`);
      const mergedHtml = await readFile(out("merged.html"), "utf8");
      expect(diceRows(mergedHtml)).toEqual(diceRows(html));
      expect(text(mergedHtml)).toContain(`Model file sha256 ${manifest.files.model.sha256}`);

      const missing = await siteseg("merge", out("shard-1.json"), out("shard-3.json"));
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe("siteseg: shard 2/3 is missing\n");
    });

    it("reads a case list, paths relative to the list; exit 1 when no case could be scored", { timeout: SLOW }, async () => {
      const list = join(tmp, "lists/cases.csv");
      await mkdir(join(tmp, "lists"), { recursive: true });
      await writeFile(list, "image,label,site,convention\n../study/spm152/broken.nii,../study/spm152/broken_seg.nii.gz,elsewhere,tissue\n../study/missing.nii,../study/spm152/t1_seg.nii.gz,elsewhere,\n");
      const r = await siteseg("study", list, "--threads", "1");
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("  ../study/missing: cannot read ../study/missing.nii: no such file or directory");
      expect(r.stdout).toMatch(/ {2}\.\.\/study\/spm152\/broken: \.\.\/study\/spm152\/broken\.nii: /);
      expect(r.stderr).toContain("siteseg: none of the 2 cases could be scored");
      await writeFile(list, "image,label,site,convention\na.nii,b.nii,A,aseg\n");
      const bad = await siteseg("study", list);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toBe(`siteseg: ${list}: line 2: unknown convention "aseg" (expected classes, freesurfer, gif, feta, or empty to guess)\n`);
    });
  },
);
