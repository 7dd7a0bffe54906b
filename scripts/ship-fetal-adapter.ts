/**
 * Trains the fetal sample site's adapter with `siteseg adapt --cases` (the default recipe) on two of
 * its cases, and ships it: copied into the default model's adapters/ and entered in its manifest
 * with the files' sha256 and sizes. The adapter records both cases' sha256, so the sample study marks
 * them and judges it on the site's other six cases.
 *
 *   npx tsx scripts/ship-fetal-adapter.ts [--threads 2]
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const threads = process.argv.includes("--threads") ? process.argv[process.argv.indexOf("--threads") + 1] : "2";
const modelDir = resolve(root, "public/models/siteseg-tissue");
const NAME = "fetal-sb";
/** training/samples.py's FETAL_TRAIN, by their sample ids. */
const TRAIN_ON = ["GA24", "GA29op"];
const out = resolve(modelDir, "adapters", NAME);
mkdirSync(out, { recursive: true });

execFileSync("node", [
  resolve(root, "bin/siteseg.mjs"), "adapt", "--cases", resolve(root, "public/samples/fetal-sb"), "--train-on", TRAIN_ON.join(","),
  "--site", NAME, "--description", `Fetal T2 (fetal_sb sample site), learnt from ${TRAIN_ON.join(" and ")}`, "--out", out, "--threads", threads,
], { stdio: "inherit" });

const file = (name: string) => {
  const bytes = readFileSync(resolve(out, name));
  return { sha256: createHash("sha256").update(bytes).digest("hex"), bytes: bytes.length };
};
const manifestPath = resolve(modelDir, "manifest.json");
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
const entry = {
  name: NAME, site: NAME, description: "Fetal T2, super-resolved 0.8 mm (fetal_sb), FeTA labels; learnt from two of the sample site's eight cases",
  path: `adapters/${NAME}`, files: { config: file("adapter_config.json"), weights: file("adapter_model.safetensors") },
};
const shipped: { name: string }[] = manifest.adapters.shipped;
const at = shipped.findIndex((a) => a.name === NAME);
if (at >= 0) shipped[at] = entry;
else shipped.push(entry);
writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
console.log(`shipped ${NAME}: ${JSON.stringify(entry.files)}`);
