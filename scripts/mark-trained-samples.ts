/**
 * Each single-scan sample site's adapter learnt from that scan (the synthetic ones from the sample
 * file itself, the real ones from the original the sample was cropped from): record the sample
 * image's sha256 and its volumeSha256 (the browser may receive a .nii.gz decompressed, so the file's
 * hash alone would not match) in the adapter's config (`trained_on_sha256`), and the new config's
 * checksum in the manifest, so a site study marks the sample as "trained on" and leaves it out of
 * the site's figures instead of scoring an adapter on the scan it learnt from. A multi-case site's
 * adapter gets each training case's volume_sha256 where it lacks it. Run after training/adapters.sh.
 *
 *   npx tsx scripts/mark-trained-samples.ts
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { readVolume } from "../src/core/io";
import { parseSampleIndex, sampleCases } from "../src/core/samples";
import { volumeSha256 } from "../src/core/sha256";

const root = resolve(import.meta.dirname, "..");
const modelDir = resolve(root, "public/models/siteseg-tissue");
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const manifestPath = resolve(modelDir, "manifest.json");
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));

const sample = (rel: string) => readFileSync(resolve(root, "public/samples", rel));
const volumeOf = (rel: string) => volumeSha256(readVolume(new Uint8Array(sample(rel)), rel));
for (const site of parseSampleIndex(JSON.parse(readFileSync(resolve(root, "public/samples/index.json"), "utf8")))) {
  const entry = manifest.adapters.shipped.find((a: { name: string }) => a.name === site.adapter);
  const configPath = resolve(modelDir, entry.path, "adapter_config.json");
  const config = JSON.parse(readFileSync(configPath, "utf8"));
  if (site.cases) {
    // a multi-case site's adapter records its own training cases: add each one's scan identity
    for (const c of config.training_cases as { sha256: string[]; volume_sha256?: string[] }[]) {
      const match = sampleCases(site).find((k) => c.sha256.includes(sha256(sample(k.image))));
      if (match && !c.volume_sha256) c.volume_sha256 = [await volumeOf(match.image)];
    }
  } else config.trained_on_sha256 = [sha256(sample(site.image)), await volumeOf(site.image)];
  const bytes = new TextEncoder().encode(JSON.stringify(config, null, 2) + "\n");
  writeFileSync(configPath, bytes);
  entry.files.config = { sha256: sha256(bytes), bytes: bytes.length };
  console.log(`${site.adapter}: marked (${site.cases ? "its training cases' volumes" : site.image})`);
}
writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
