// The model card's table against brainchop's robust_tissue (issue 27): GM / WM Dice of the shipped
// base (or --model DIR), measured by the real CLI (siteseg evaluate --json, the manifest's default
// options), beside the peer's figures that training/brainchop_robust.py wrote (its JSON files;
// the peer is not re-run here), for every scan either side scored. A scan is "at or above" when
// both GM and WM are; the peer's best variant counts (raw bytes where its conform zeroes a file).
//   npx tsx scripts/peer-table.ts [--model DIR] [--options A,B|none] [--threads N] > /tmp/peer.md
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { DATA_DIR } from "../src/test/data";

const root = resolve(import.meta.dirname, "..");
const { values: o } = parseArgs({ options: { model: { type: "string" }, options: { type: "string" }, threads: { type: "string", default: "2" } } });
const PEER = ["brainchop_robust.json", "brainchop_robust_fetal.json", "brainchop_robust_fetal_nonzero.json"].map((f) => resolve(root, "training/out", f));

interface PeerRow { scan: string; variant: string; image: string; reference: string; on_scan_grid: { gm: number; wm: number } }
const CONVENTION: Record<string, string> = { "niivue_fs/": "freesurfer", "torchio_fpg/": "gif", "spm152/": "tissue", "fetal_sb/": "feta" };
const conventionOf = (reference: string) => Object.entries(CONVENTION).find(([k]) => reference.startsWith(k))?.[1] ?? "classes";

const scans = new Map<string, { image: string; reference: string; peer: Map<string, { gm: number; wm: number }> }>();
for (const file of PEER.filter(existsSync)) {
  for (const r of (JSON.parse(readFileSync(file, "utf8")) as { results: PeerRow[] }).results) {
    const s = scans.get(r.scan) ?? scans.set(r.scan, { image: r.image, reference: r.reference, peer: new Map() }).get(r.scan)!;
    s.peer.set(r.variant, r.on_scan_grid);
  }
}
if (!scans.size) throw new Error(`no peer figures: run training/brainchop_robust.py first (${PEER[0]})`);

const f = (v: number) => v.toFixed(3);
console.log(`| scan | siteseg GM / WM | robust_tissue GM / WM (best variant) | other variants | at or above |`);
console.log(`| --- | --- | --- | --- | --- |`);
let met = 0;
for (const [name, s] of scans) {
  const image = resolve(DATA_DIR, s.image), label = resolve(DATA_DIR, s.reference);
  if (!existsSync(image)) continue;
  const args = ["evaluate", "--image", image, "--label", label, "--convention", conventionOf(s.reference), "--threads", o.threads!, "--json",
    ...(o.model ? ["--model", o.model] : []), ...(o.options ? ["--options", o.options] : [])];
  const out = JSON.parse(execFileSync("node", [resolve(root, "bin/siteseg.mjs"), ...args], { encoding: "utf8", maxBuffer: 1 << 26, stdio: ["ignore", "pipe", "ignore"] }));
  const ours = { gm: out.dice.GM as number, wm: out.dice.WM as number };
  const variants = [...s.peer.entries()];
  const [bestName, best] = variants.reduce((a, b) => (b[1].gm + b[1].wm > a[1].gm + a[1].wm ? b : a));
  const ok = ours.gm >= best.gm && ours.wm >= best.wm;
  met += ok ? 1 : 0;
  const others = variants.filter(([v]) => v !== bestName).map(([v, d]) => `${v}: ${f(d.gm)} / ${f(d.wm)}`).join("; ");
  console.log(`| ${name} | ${f(ours.gm)} / ${f(ours.wm)} | ${f(best.gm)} / ${f(best.wm)} (${bestName}) | ${others || "—"} | ${ok ? "yes" : `no (${f(ours.gm - best.gm)} / ${f(ours.wm - best.wm)})`} |`);
}
console.log(`\n${met} of ${scans.size} scans at or above the peer on both GM and WM (siteseg ${o.model ?? "public/models/siteseg-tissue"}, options ${o.options ?? "the manifest's defaults"}).`);
