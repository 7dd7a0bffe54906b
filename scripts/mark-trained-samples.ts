/**
 * Each single-scan sample site's adapter learnt from that scan (the synthetic ones from the sample
 * file itself, the real ones from the original the sample was cropped from): record the sample
 * image's sha256 in the adapter's config (`trained_on_sha256`) and the new config's checksum in the
 * manifest, so a site study marks the sample as "trained on" and leaves it out of the site's
 * figures instead of scoring an adapter on the scan it learnt from. Run after training/adapters.sh.
 *
 *   npx tsx scripts/mark-trained-samples.ts
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseSampleIndex } from "../src/core/samples";

const root = resolve(import.meta.dirname, "..");
const modelDir = resolve(root, "public/models/siteseg-tissue");
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const manifestPath = resolve(modelDir, "manifest.json");
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));

for (const site of parseSampleIndex(JSON.parse(readFileSync(resolve(root, "public/samples/index.json"), "utf8")))) {
  if (site.cases) continue; // a multi-case site's adapter records its own training cases
  const entry = manifest.adapters.shipped.find((a: { name: string }) => a.name === site.adapter);
  const configPath = resolve(modelDir, entry.path, "adapter_config.json");
  const config = JSON.parse(readFileSync(configPath, "utf8"));
  config.trained_on_sha256 = [sha256(readFileSync(resolve(root, "public/samples", site.image)))];
  const bytes = new TextEncoder().encode(JSON.stringify(config, null, 2) + "\n");
  writeFileSync(configPath, bytes);
  entry.files.config = { sha256: sha256(bytes), bytes: bytes.length };
  console.log(`${site.adapter}: trained on ${site.image} (${config.trained_on_sha256[0].slice(0, 12)}…)`);
}
writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
