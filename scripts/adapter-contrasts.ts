// Records in each shipped adapter's adapter_config.json the contrast profile of every scan it was
// trained on (core/adapters/profile.ts, under the site's reference, as core/adapt does for new
// adapters), so the app can warn when an open scan does not look like them.
//   npx tsx scripts/adapter-contrasts.ts
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { contrastProfile } from "../src/core/adapters/profile";
import { readVolume } from "../src/core/io";
import { parseManifest } from "../src/core/manifest";
import { alignReference } from "../src/core/metrics/evaluate";
import { resolveConvention, type ConventionId } from "../src/core/metrics/conventions";
import { DATA_DIR } from "../src/test/data";

const root = resolve(import.meta.dirname, "..");
const modelDir = resolve(root, "public/models/siteseg-tissue");
const samples = resolve(root, "public/samples");
// Each site's reference (as training/sites.py names it) and where its images live.
const LABELS: Record<string, { dir: string; label: string; convention: ConventionId }> = {
  "niivue-t1": { dir: DATA_DIR, label: "niivue_fs/aparc.a2009s+aseg.mgz", convention: "freesurfer" },
  "fpg-t2": { dir: DATA_DIR, label: "torchio_fpg/t1_seg_gif.nii.gz", convention: "gif" },
  spm152: { dir: DATA_DIR, label: "spm152/tissue.nii.gz", convention: "tissue" },
  "synth-pd": { dir: samples, label: "synth-pd/pd_seg.nii.gz", convention: "freesurfer" },
  "synth-flair": { dir: samples, label: "synth-flair/flair_seg.nii.gz", convention: "freesurfer" },
};
const manifest = parseManifest(JSON.parse(readFileSync(resolve(modelDir, "manifest.json"), "utf8")), "manifest.json");
const names = manifest.classes.map((c) => c.name);
const read = (p: string) => readVolume(new Uint8Array(readFileSync(p)), p);
for (const a of manifest.adapters.shipped) {
  const site = LABELS[a.name];
  const configPath = resolve(modelDir, a.path, "adapter_config.json");
  const config = JSON.parse(readFileSync(configPath, "utf8"));
  const images: string[] = config.training_slices?.images ?? [];
  if (!site || !images.length || !images.every((i) => existsSync(resolve(site.dir, i)))) {
    console.warn(`skip ${a.name}: its training images or reference are not at hand`);
    continue;
  }
  const reference = read(resolve(site.dir, site.label));
  config.contrasts = images.map((image) => {
    const scan = read(resolve(site.dir, image));
    return { image, profile: contrastProfile(scan.data, alignReference(reference, scan, resolveConvention(manifest, site.convention)).classes, names) };
  });
  writeFileSync(configPath, JSON.stringify(config, null, 2) + "\n");
  console.log(`${a.name}: ${config.contrasts.map((c: { image: string; profile: object }) => `${c.image} ${JSON.stringify(c.profile)}`).join("; ")}`);
}
