import { z } from "zod";
import { ConventionError, conventionsOf } from "../metrics/conventions";

/** The closed set of preprocessing steps a manifest may name: data, never code. */
export const PreprocessStep = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("percentileScale"),
      /** Percentiles computed over voxels above the scan's minimum (background excluded). */
      lower: z.number().min(0, "a percentile is 0 to 100").max(100, "a percentile is 0 to 100"),
      upper: z.number().min(0, "a percentile is 0 to 100").max(100, "a percentile is 0 to 100"),
    })
    .superRefine((s, ctx) => {
      if (s.lower >= s.upper) ctx.addIssue({ code: "custom", message: `the lower percentile (${s.lower}) must be below the upper (${s.upper}), or every voxel scales to one value` });
    }),
  /** (v - mean) / sd over the finite voxels above the minimum, winsorised to their 0.05-99.95 percentiles; background 0. */
  z.object({ kind: z.literal("zscore") }),
]);
export type PreprocessStep = z.infer<typeof PreprocessStep>;

/**
 * Optional extra inference passes a manifest may offer (closed set): each costs about one more
 * run of the model and averages its probabilities with the plain pass. `default: true` turns it
 * on unless the user (app) or the command line (`--options`) says otherwise; `offByDefaultOn`
 * leaves it off by default on a browser backend, saying why (what it costs there against what it
 * gains), and the user can still switch it on.
 */
const offByDefaultOn = z.partialRecord(z.enum(["wasm", "webgpu"]), z.string().min(1)).optional();

export const InferenceOption = z.discriminatedUnion("kind", [
  /** Also run the scan mirrored along this model-grid axis (0 = left-right on RAS) and mirror the result back. */
  z.object({ id: z.string().regex(/^[a-z0-9-]+$/), kind: z.literal("flip"), axis: z.union([z.literal(0), z.literal(1), z.literal(2)]), label: z.string().min(1), default: z.boolean().default(false), offByDefaultOn }),
  /**
   * Also slice along these other model-grid axes (tri-planar fusion: [0, 1] beside an axial model's 2).
   * With `maxAnisotropy`, only on scans whose largest voxel side is at most that many times the
   * smallest: across thick slices another plane sees a blur of few samples.
   */
  z.object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    kind: z.literal("planes"),
    axes: z.array(z.union([z.literal(0), z.literal(1), z.literal(2)])).min(1),
    maxAnisotropy: z.number().min(1).optional(),
    label: z.string().min(1),
    default: z.boolean().default(false),
    offByDefaultOn,
  }),
  /**
   * Adapt to the scan without labels: after the run, a LoRA adapter is trained for `steps` steps on
   * `slices` of the scan's slices with the model's own mask as reference, and the scan is segmented
   * again with it (needs the manifest's trainStep graph and adapter slots).
   */
  z.object({ id: z.string().regex(/^[a-z0-9-]+$/), kind: z.literal("selfAdapt"), steps: z.number().int().positive(), slices: z.number().int().positive(), label: z.string().min(1), default: z.boolean().default(false) }),
  /**
   * Not a pass: the mask cleaned on the scan's grid after the runs (core/postprocess/cleanup.ts):
   * the connected components of the foreground that `keep` names stay, the rest (tissue called
   * outside the brain: over skull, neck, an object beside the head) becomes background; with
   * `fillHoles`, background enclosed by the brain takes its border's class. Costs no model run.
   */
  z.object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    kind: z.literal("cleanup"),
    keep: z.enum(["largest", "all"]),
    keepFraction: z.number().gt(0).lte(1).optional(),
    minFragmentMl: z.number().min(0).optional(),
    fillHoles: z.boolean().default(false),
    connectivity: z.union([z.literal(6), z.literal(26)]).optional(),
    openMm: z.number().min(0).optional(),
    label: z.string().min(1),
    default: z.boolean().default(false),
    offByDefaultOn,
  }),
]);
export type InferenceOption = z.infer<typeof InferenceOption>;

/**
 * A path of the model folder, relative to its manifest, normalised ("./a" and "b/../a" become "a"; "" is
 * the folder itself), or why it is refused: it could lead out of the folder. Refused: an absolute
 * path, a drive or URL scheme ("C:", "https:"), a ".." above the folder (also as "%2e%2e", which a
 * URL resolves), and characters a URL or Windows reads as structure ("\\", ":", "?", "#", "%") or that no
 * file name needs (control characters, spaces at either end of a name, which a URL may drop).
 * Symbolic links are the reader's to check (Node: realpath).
 */
export function folderPath(path: string): { path: string } | { problem: string } {
  // read as a URL would: spaces and controls trimmed, tabs and newlines dropped, "\\" as "/", "%2e" as ".", nothing after "?" or "#"
  const asUrl = path
    // eslint-disable-next-line no-control-regex -- what the URL parser trims
    .replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, "")
    .replace(/[\t\n\r]/g, "")
    .replace(/\\/g, "/")
    .replace(/%2e/gi, ".")
    .split(/[?#]/)[0];
  const parts: string[] = [];
  let outside = asUrl.startsWith("/");
  for (const seg of asUrl.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg !== "..") parts.push(seg);
    else if (parts.length) parts.pop();
    else outside = true;
  }
  // "https:x", "C:x", "file:x": a URL resolves a first segment with a colon as a scheme
  if (outside || parts[0]?.includes(":")) return { problem: `${JSON.stringify(path)} lies outside the model folder` };
  // eslint-disable-next-line no-control-regex -- control characters are refused
  if (/[\\:?#%\u0000-\u001f\u007f]/.test(path) || path.split("/").some((seg) => /^\s|\s$/.test(seg))) {
    return { problem: `${JSON.stringify(path)} is not a plain path inside the model folder (no "\\", ":", "?", "#", "%", control characters, or spaces at either end of a name)` };
  }
  return { path: parts.join("/") };
}

const Rgb = z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255), z.number().int().min(0).max(255)]);
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex sha256");
/** A path that stays inside the model folder (a file, or with `folder` a folder: "" or "." is the model folder itself). */
const InFolder = (folder: boolean) =>
  z.string().superRefine((p, ctx) => {
    const r = folderPath(p);
    if ("problem" in r) ctx.addIssue({ code: "custom", message: r.problem });
    else if (!folder && !r.path) ctx.addIssue({ code: "custom", message: `${JSON.stringify(p)} names the model folder itself, not a file in it` });
  });
const FileRef = z.object({ path: InFolder(false), sha256: Sha256, bytes: z.number().int().positive() });

export const AdapterSlot = z.object({
  /** Graph input names of the LoRA A and B matrices of one adapted layer. */
  module: z.string(),
  inputA: z.string(),
  inputB: z.string(),
  /** Conv: A is [rank, inFeatures, kh, kw] and B [outFeatures, rank, 1, 1]; Linear: A [rank, in], B [out, rank]. */
  inFeatures: z.number().int().positive(),
  outFeatures: z.number().int().positive(),
  /** Kernel size for a Conv2d slot; absent for a Linear slot. */
  kernel: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
  /** ‖W‖ (Frobenius) of the base weight the slot's delta adds to; loadModel reads it from the graph when absent (adapters/scale.ts). */
  baseNorm: z.number().positive().optional(),
});
export type AdapterSlot = z.infer<typeof AdapterSlot>;

export const ShippedAdapter = z.object({
  name: z.string().min(1),
  site: z.string(),
  description: z.string().default(""),
  /** Folder (relative to the manifest) holding adapter_config.json and adapter_model.safetensors. */
  path: InFolder(true),
  /** Checksums of its two files (checked when the adapter is loaded). */
  files: z.object({ config: FileRef.omit({ path: true }), weights: FileRef.omit({ path: true }) }).optional(),
});

const Entry = z.union([z.number().int(), z.tuple([z.number().int(), z.number().int()])]);
/** A reference numbering given in the manifest itself: label values (or [first, last] ranges) per class name. */
const InlineConvention = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "lowercase letters, digits, '.', '_' and '-' only"),
  label: z.string().min(1),
  classes: z.record(z.string(), z.array(Entry)),
  /** Label values scored as no class (left out of Dice and volumes, in mask and reference alike). */
  excluded: z.array(Entry).optional(),
});

export const Manifest = z.object({
  schemaVersion: z.literal(1),
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "lowercase letters, digits, '.', '_' and '-' only"),
  name: z.string().min(1),
  version: z.string(),
  description: z.string().default(""),
  files: z.object({
    model: FileRef,
    /** The training-step graph (loss and LoRA gradients; training/grad_export.py): adapters can be trained when present. */
    trainStep: FileRef.optional(),
  }),
  input: z.object({
    /** Axis codes of the grid the model sees, e.g. "RAS": i runs to Right, j to Anterior, k to Superior. */
    orientation: z.string().regex(/^[RL][AP][SI]$|^[RL][SI][AP]$|^[AP][RL][SI]$|^[AP][SI][RL]$|^[SI][RL][AP]$|^[SI][AP][RL]$/, "three distinct axis codes such as RAS or LPS"),
    spacing: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
    /** Which axis of that grid the model slices along (0, 1 or 2). */
    sliceAxis: z.union([z.literal(0), z.literal(1), z.literal(2)]),
    /** Neighbouring slices on each side fed as extra channels (2k + 1 channels). */
    contextSlices: z.number().int().min(0).max(8),
    /** Slice height and width are padded up to a multiple of this. */
    multipleOf: z.number().int().positive(),
    /** Largest slice (height, width) the model accepts; bigger grids are cropped around the foreground. */
    maxSliceSize: z.tuple([z.number().int().positive(), z.number().int().positive()]),
    batchSize: z.number().int().positive(),
    inputName: z.string(),
    outputName: z.string(),
    /** Scans the model can read, checked before any work: voxel size range and largest extent (mm). */
    limits: z
      .object({
        spacingMm: z.tuple([z.number().positive(), z.number().positive()]).refine(([a, b]) => a <= b, "[smallest, largest]"),
        extentMm: z.number().positive(),
      })
      .optional(),
  }).superRefine((input, ctx) => {
    input.maxSliceSize.forEach((side, i) => {
      if (side < input.multipleOf) ctx.addIssue({ code: "custom", path: ["maxSliceSize", i], message: `${side} is below multipleOf (${input.multipleOf}), so no slice would fit` });
    });
  }),
  preprocess: z.array(PreprocessStep),
  classes: z
    .array(z.object({ index: z.number().int().min(0), name: z.string().min(1), color: Rgb }))
    .min(2)
    .max(255)
    .refine((cs) => cs.every((c, i) => c.index === i), "class indices must be 0, 1, 2, … in order")
    .refine((cs) => new Set(cs.map((c) => c.name)).size === cs.length, "class names must differ (references map onto classes by name)"),
  /** The class that is not a finding: never scored, drawn transparent. It must be the first class. */
  background: z.string().default("background"),
  /**
   * Reference-label conventions this model's classes can be compared with, each mapping label values
   * onto the classes by name: a built-in table's id (freesurfer, gif, brats) or a table given here.
   * The model's own numbering ("classes") is always offered.
   */
  labelConventions: z.array(z.union([z.string(), InlineConvention])).min(1),
  adapters: z
    .object({
      slots: z.array(AdapterSlot),
      maxRank: z.number().int().min(0),
      shipped: z.array(ShippedAdapter).refine((as) => new Set(as.map((a) => a.name)).size === as.length, "shipped adapter names must differ (they are picked by name)"),
    })
    .default({ slots: [], maxRank: 0, shipped: [] }),
  /** Extra passes the user may turn on (test-time augmentation); ids unique. */
  inference: z
    .object({ options: z.array(InferenceOption).refine((os) => new Set(os.map((o) => o.id)).size === os.length, "option ids must differ") })
    .default({ options: [] }),
  training: z.record(z.string(), z.unknown()).optional(),
}).superRefine((m, ctx) => {
  m.inference.options.forEach((o, i) => {
    if (o.kind === "selfAdapt" && (!m.files.trainStep || m.adapters.slots.length === 0)) ctx.addIssue({ code: "custom", path: ["inference", "options", i], message: `"${o.id}" adapts to the scan, which needs files.trainStep and adapter slots` });
  });
  if (m.classes[0]?.name !== m.background) {
    ctx.addIssue({ code: "custom", path: ["background"], message: `the background class "${m.background}" must be classes[0] (it is "${m.classes[0]?.name}")` });
  }
  try {
    conventionsOf(m);
  } catch (e) {
    if (!(e instanceof ConventionError)) throw e;
    const [field, ...rest] = e.message.split(": ");
    ctx.addIssue({ code: "custom", path: field.split(" ")[0].split(".").map((p) => (/^\d+$/.test(p) ? Number(p) : p)), message: rest.join(": ") });
  }
});
export type Manifest = z.infer<typeof Manifest>;

export class ManifestError extends Error {
  override name = "ManifestError";
}

/** Validate a parsed manifest; errors name each offending field by its path. */
export function parseManifest(json: unknown, source = "manifest.json"): Manifest {
  const result = Manifest.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new ManifestError(`${source} is not a valid model manifest — ${problems.join("; ")}`);
  }
  return result.data;
}
