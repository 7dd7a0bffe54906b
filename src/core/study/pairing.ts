import { formatOfName, stripVolumeExtension } from "../io/formats";
import { byKey, type StudyCase } from "./types";

/** BIDS suffixes of anatomical images that can be segmented. */
const BIDS_IMAGES = new Set(["T1w", "T2w", "PDw", "T2starw", "FLAIR", "inplaneT1", "inplaneT2", "PDT2", "UNIT1", "T1map", "T2map"]);
/** BIDS entities that tell two acquisitions of one session apart: used only to break a tie. */
const BIDS_ACQUISITION = ["acq", "ce", "rec", "run", "echo", "part", "inv", "mt", "flip"];
/**
 * Folders that belong to a case's own layout rather than name a site: a BIDS dataset or a
 * FreeSurfer subject dropped as the study's root.
 */
const LAYOUT_FOLDER = /^(sub-.+|ses-.+|derivatives|sourcedata|rawdata|anat|mri)$/;

/** True for a path the study would read: a volume format of the table (NIfTI, MGH), not hidden. */
export function isVolumePath(path: string): boolean {
  const parts = path.split("/").filter(Boolean);
  return parts.length > 0 && !parts.some((p) => p.startsWith(".")) && formatOfName(parts[parts.length - 1])?.kind === "volume";
}

interface Vol {
  path: string;
  dir: string;
  name: string;
  stem: string;
  site: string;
}

function siteOf(parts: string[], rootName: string): string {
  return parts.length > 1 && !LAYOUT_FOLDER.test(parts[0]) ? parts[0] : rootName;
}

/**
 * Pairs scans with their reference labels from a list of relative paths ('/' separators), as a
 * dropped folder or a walked one gives them. Three layouts, tried in this order on the files not
 * yet paired:
 *
 * 1. `X.<ext>` with `X_label.<ext>` or `X_seg.<ext>` in the same folder (the volume formats of
 *    core/io/formats: .nii, .nii.gz, .mgh, .mgz; the label's a format that can be a label).
 * 2. BIDS: `sub-A[_ses-B][_…]_<T1w|T2w|FLAIR|PDw|…>.nii[.gz]` with a `sub-A[_ses-B][_…]_dseg.nii[.gz]`
 *    of the same site (any folder, e.g. derivatives/), matched on subject and session; when a session
 *    has several scans or labels, on the acquisition entities (acq, run, …) as well.
 * 3. FreeSurfer: `norm.mgz` with `aseg.mgz`, else the first `aparc*+aseg.mgz` by name, in one folder;
 *    the case is named after the subject folder (the parent of `mri`).
 *
 * Only unambiguous pairs are made. The site is the path's first folder, or `rootName` for files at
 * the top or when that folder is part of a BIDS or FreeSurfer layout (sub-*, derivatives, mri, …).
 * Hidden and non-volume files are ignored; volumes left over are returned in `unpaired`.
 */
export function pairFiles(paths: string[], rootName: string): { cases: StudyCase[]; unpaired: string[] } {
  const vols: Vol[] = [];
  for (const raw of new Set(paths)) {
    const parts = raw.split("/").filter((p) => p && p !== ".");
    const path = parts.join("/");
    if (!isVolumePath(path)) continue;
    const name = parts[parts.length - 1];
    vols.push({ path, dir: parts.slice(0, -1).join("/"), name, stem: stripVolumeExtension(name), site: siteOf(parts, rootName) });
  }
  const cases: StudyCase[] = [];
  const used = new Set<string>();
  /** Files an earlier rule found ambiguous: left for the user, not offered to the later rules. */
  const held = new Set<string>();
  const pair = (id: string, site: string, image: Vol, label: Vol) => {
    cases.push({ id, site, image: image.path, label: label.path });
    used.add(image.path);
    used.add(label.path);
  };
  const left = () => vols.filter((v) => !used.has(v.path) && !held.has(v.path));

  // 1. X + X_label / X_seg
  const byKeyPath = new Map<string, Vol[]>();
  for (const v of vols) byKeyPath.set(join(v.dir, v.stem), [...(byKeyPath.get(join(v.dir, v.stem)) ?? []), v]);
  const labelsOf = new Map<string, Vol[]>();
  const isLabel = new Set<string>();
  for (const v of vols) {
    const m = /^(.+)_(label|seg)$/.exec(v.stem);
    const base = m && join(v.dir, m[1]);
    if (!base || !byKeyPath.has(base) || !formatOfName(v.name)?.label) continue;
    labelsOf.set(base, [...(labelsOf.get(base) ?? []), v]);
    isLabel.add(v.path);
  }
  for (const [base, labels] of labelsOf) {
    const images = (byKeyPath.get(base) ?? []).filter((v) => !isLabel.has(v.path));
    if (images.length === 1 && labels.length === 1) pair(base, images[0].site, images[0], labels[0]);
    else for (const v of [...images, ...labels]) held.add(v.path);
  }

  // 2. BIDS
  const groups = new Map<string, { images: Bids[]; labels: Bids[] }>();
  for (const v of left()) {
    const b = parseBids(v);
    if (!b || !(b.suffix === "dseg" || BIDS_IMAGES.has(b.suffix))) continue;
    const key = JSON.stringify([v.site, b.entities.sub, b.entities.ses ?? ""]);
    const g = groups.get(key) ?? { images: [], labels: [] };
    (b.suffix === "dseg" ? g.labels : g.images).push(b);
    groups.set(key, g);
  }
  for (const { images, labels } of groups.values()) {
    if (!images.length || !labels.length) continue;
    if (images.length === 1 && labels.length === 1) {
      pair(stripVolumeExtension(images[0].vol.path), images[0].vol.site, images[0].vol, labels[0].vol);
      continue;
    }
    const sameAcquisition = (i: Bids, l: Bids) => BIDS_ACQUISITION.every((e) => i.entities[e] === l.entities[e]);
    const matches = labels.map((l) => images.filter((i) => sameAcquisition(i, l)));
    labels.forEach((l, li) => {
      const [image, ...others] = matches[li];
      if (!image || others.length) return;
      if (matches.filter((m) => m.includes(image)).length !== 1) return;
      pair(stripVolumeExtension(image.vol.path), image.vol.site, image.vol, l.vol);
    });
  }

  // 3. FreeSurfer
  const dirs = new Map<string, Vol[]>();
  for (const v of left()) dirs.set(v.dir, [...(dirs.get(v.dir) ?? []), v]);
  for (const [dir, inDir] of dirs) {
    const norm = inDir.find((v) => v.name === "norm.mgz");
    if (!norm) continue;
    const label = inDir.find((v) => v.name === "aseg.mgz") ?? inDir.filter((v) => /^aparc.*\+aseg\.mgz$/.test(v.name)).sort(byKey((v) => v.name))[0];
    if (!label) continue;
    const parts = dir.split("/").filter(Boolean);
    const subject = parts[parts.length - 1] === "mri" ? parts.slice(0, -1) : parts;
    pair(subject.length ? subject.join("/") : rootName, norm.site, norm, label);
  }

  // one case per id: a clash (e.g. X.nii beside X.nii.gz) is ambiguous, so neither is kept
  const count = new Map<string, number>();
  for (const c of cases) count.set(c.id, (count.get(c.id) ?? 0) + 1);
  const kept = cases.filter((c) => count.get(c.id) === 1);
  const keptPaths = new Set(kept.flatMap((c) => [c.image, c.label]));
  return {
    cases: kept.sort(byKey((c) => c.id)),
    unpaired: vols.map((v) => v.path).filter((p) => !keptPaths.has(p)).sort(byKey((p) => p)),
  };
}

const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);

interface Bids {
  vol: Vol;
  entities: Record<string, string>;
  suffix: string;
}

/** `sub-01_ses-a_acq-x_T1w.nii.gz` → entities {sub, ses, acq} and suffix T1w; null when not BIDS-named. */
function parseBids(vol: Vol): Bids | null {
  if (formatOfName(vol.name)?.id !== "nifti") return null; // BIDS images are NIfTI
  const parts = vol.stem.split("_");
  const suffix = parts.pop() ?? "";
  if (!/^[A-Za-z0-9]+$/.test(suffix) || !parts.length) return null;
  const entities: Record<string, string> = {};
  for (const p of parts) {
    const m = /^([A-Za-z0-9]+)-([A-Za-z0-9]+)$/.exec(p);
    if (!m || Object.hasOwn(entities, m[1])) return null;
    entities[m[1]] = m[2];
  }
  return parts[0].startsWith("sub-") ? { vol, entities, suffix } : null;
}
