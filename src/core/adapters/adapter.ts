import { z } from "zod";
import type { AdapterSlot, Manifest } from "../manifest/schema";
import type { Tensor } from "../pipeline/runner";
import { AdapterError, readSafetensors, type NamedTensor } from "./safetensors";
import { deltaNorm, MAX_WEIGHT_CHANGE, times } from "./scale";

/** The adapter_config.json fields that matter here (PEFT writes many more; they pass through). */
export const AdapterConfig = z.object({
  peft_type: z.literal("LORA").default("LORA"),
  base_model_name_or_path: z.string().nullable().optional(),
  r: z.number().int().positive(),
  lora_alpha: z.number().positive(),
  target_modules: z.union([z.array(z.string()), z.string()]),
  use_rslora: z.boolean().optional(),
  use_dora: z.boolean().optional(),
  site: z.string().optional(),
  description: z.string().optional(),
  /** The scans it learnt from and their contrast profiles (profile.ts): what it is for. */
  contrasts: z.array(z.object({ image: z.string(), profile: z.record(z.string(), z.number().nullable()) })).optional(),
}).passthrough();
export type AdapterConfig = z.infer<typeof AdapterConfig>;

const isEmpty = (v: unknown) => v == null || (Array.isArray(v) ? v.length === 0 : typeof v === "object" && Object.keys(v).length === 0);
/** PEFT config keys and the values under which the adapter is a plain LoRA. */
const PEFT_UNSUPPORTED: Record<string, (v: unknown) => boolean> = {
  rank_pattern: isEmpty,
  alpha_pattern: isEmpty,
  bias: (v) => v == null || v === "none",
  lora_bias: (v) => !v,
  modules_to_save: isEmpty,
  layers_to_transform: isEmpty,
};

export interface Adapter {
  name: string;
  config: AdapterConfig;
  /** Graph input name -> tensor, zero-padded to the manifest's slot rank, scaling folded into B. */
  feeds: Record<string, Tensor>;
  /** Modules this adapter changes. */
  modules: string[];
  parameters: number;
  /** Its largest change of a base weight, ‖B·A·scaling‖ / ‖W‖, where the manifest knows the base's weights (loadModel reads them). */
  weightChange?: { module: string; ratio: number };
  /** sha256 of its adapter_model.safetensors, where the host computed it (the app and the CLI do): a study records it. */
  sha256?: string;
}

export function parseAdapterConfig(bytes: Uint8Array): AdapterConfig {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new AdapterError("adapter_config.json is not valid JSON");
  }
  const r = AdapterConfig.safeParse(json);
  if (!r.success) throw new AdapterError(`adapter_config.json is not a LoRA config — ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  if (r.data.use_dora) throw new AdapterError("adapter_config.json asks for DoRA, which this model's slots do not support; train a plain LoRA adapter");
  // PEFT options the slots cannot express: refuse them rather than run a different adapter than was trained
  const unsupported = Object.entries(PEFT_UNSUPPORTED).filter(([key, isPlain]) => !isPlain(r.data[key])).map(([key]) => key);
  if (unsupported.length) throw new AdapterError(`adapter_config.json uses ${unsupported.join(", ")}, which this model's LoRA slots do not support; train a plain LoRA adapter (one rank and alpha for all modules, bias "none")`);
  targetPattern(r.data);
  return r.data;
}

/** target_modules as a string: PEFT's regex, which must match a module's whole name. One that does not compile is refused. */
function targetPattern(config: AdapterConfig): RegExp | null {
  const t = config.target_modules;
  if (typeof t !== "string") return null;
  try {
    return new RegExp(`^(?:${t})$`);
  } catch (e) {
    const why = (e as Error).message.split(": ").pop();
    throw new AdapterError(`adapter_config.json: target_modules "${t}" is not a regular expression this app can read (${why}). PEFT reads a string there as a regex that must match a module's whole name; give the modules as a list instead, e.g. ["conv1", "conv2"]`);
  }
}

/** PEFT's rule: a module is targeted when a target equals its name or ends it after a dot (a string is a regex). */
function targeted(config: AdapterConfig, module: string): boolean {
  const t = config.target_modules;
  return typeof t === "string" ? targetPattern(config)!.test(module) : t.some((x) => module === x || module.endsWith(`.${x}`));
}

/** Zero tensors for every slot: the base model exactly. */
export function zeroFeeds(manifest: Manifest): Record<string, Tensor> {
  const R = manifest.adapters.maxRank;
  const feeds: Record<string, Tensor> = {};
  for (const s of manifest.adapters.slots) {
    const [a, b] = slotShapes(s, R);
    feeds[s.inputA] = { data: new Float32Array(a.reduce((p, d) => p * d, 1)), dims: a };
    feeds[s.inputB] = { data: new Float32Array(b.reduce((p, d) => p * d, 1)), dims: b };
  }
  return feeds;
}

function slotShapes(s: AdapterSlot, rank: number): [number[], number[]] {
  return s.kernel ? [[rank, s.inFeatures, ...s.kernel], [s.outFeatures, rank, 1, 1]] : [[rank, s.inFeatures], [s.outFeatures, rank]];
}

const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Check an adapter against the base's manifest and turn it into graph feeds. Every mismatch is
 * refused with a message that names it: another base, an unknown module, a wrong shape or rank.
 */
export function buildAdapter(name: string, config: AdapterConfig, tensors: Record<string, NamedTensor>, manifest: Manifest): Adapter {
  const R = manifest.adapters.maxRank;
  const slots = manifest.adapters.slots;
  if (!slots.length) throw new AdapterError(`Model ${manifest.id} has no adapter slots, so adapters cannot be used with it`);
  const base = config.base_model_name_or_path;
  if (base && base !== manifest.id) throw new AdapterError(`Adapter "${name}" was trained for base model "${base}", not "${manifest.id}"`);
  if (config.r > R) throw new AdapterError(`Adapter "${name}" has rank ${config.r}; this model's slots take rank ${R} at most`);

  const feeds = zeroFeeds(manifest);
  const byModule = new Map<string, { A?: NamedTensor; B?: NamedTensor }>();
  for (const [key, t] of Object.entries(tensors)) {
    const m = /^(?:base_model\.model\.)?(.+)\.lora_([AB])(?:\.[^.]+)?\.weight$/.exec(key);
    if (!m) throw new AdapterError(`Adapter "${name}" has tensor "${key}", which is not a LoRA A or B weight`);
    const entry = byModule.get(m[1]) ?? {};
    entry[m[2] as "A" | "B"] = t;
    byModule.set(m[1], entry);
  }
  if (!byModule.size) throw new AdapterError(`Adapter "${name}" contains no LoRA tensors`);
  const scaling = config.use_rslora ? config.lora_alpha / Math.sqrt(config.r) : config.lora_alpha / config.r;
  let parameters = 0;
  let worst: { module: string; ratio: number } | undefined;
  for (const [module, { A, B }] of byModule) {
    const slot = slots.find((s) => s.module === module);
    if (!slot) throw new AdapterError(`Adapter "${name}" adapts module "${module}", which ${manifest.id} has no slot for (slots: ${slots.map((s) => s.module).join(", ")})`);
    if (!targeted(config, module)) throw new AdapterError(`Adapter "${name}" has tensors for "${module}", which its target_modules do not name`);
    if (!A || !B) throw new AdapterError(`Adapter "${name}" lacks lora_${A ? "B" : "A"} for "${module}"`);
    const [fullA, fullB] = slotShapes(slot, config.r);
    if (!sameShape(A.shape, fullA) || !sameShape(B.shape, fullB)) {
      throw new AdapterError(`Adapter "${name}": "${module}" has A ${JSON.stringify(A.shape)} and B ${JSON.stringify(B.shape)}; the base expects A ${JSON.stringify(fullA)} and B ${JSON.stringify(fullB)} (rank ${config.r})`);
    }
    if (![A.data, B.data].every((d) => d.every(Number.isFinite))) {
      throw new AdapterError(`Adapter "${name}": "${module}" has weights that are not numbers (NaN or infinite): the file is damaged or its training diverged; train or download it again`);
    }
    // A: the first r of R rows; B: the first r of R columns, times the LoRA scaling.
    feeds[slot.inputA].data.set(A.data);
    const bOut = feeds[slot.inputB].data;
    for (let o = 0; o < slot.outFeatures; o++) for (let k = 0; k < config.r; k++) bOut[o * R + k] = B.data[o * config.r + k] * scaling;
    parameters += A.data.length + B.data.length;
    // its change of the base weight, measured with the scaling applied: alpha/r is where a wrong number hides
    const change = deltaNorm(A.data, B.data, config.r, scaling);
    const ratio = !bOut.every(Number.isFinite) ? Infinity : slot.baseNorm ? change / slot.baseNorm : null; // (scaled past float32's range: refused with or without the base's norms)
    if (ratio !== null && !(ratio <= (worst?.ratio ?? -1))) worst = { module, ratio };
  }
  if (worst && !(worst.ratio <= MAX_WEIGHT_CHANGE)) {
    throw new AdapterError(`Adapter "${name}" changes the model's weights by ${times(worst.ratio)} their size ("${worst.module}"; an adapter that works changes them by a fraction, and ${MAX_WEIGHT_CHANGE}× already ruins the output): it is damaged or was trained with a wrong alpha (lora_alpha ${config.lora_alpha} with r ${config.r}). Segment with the base model, or train the adapter again`);
  }
  return { name, config, feeds, modules: [...byModule.keys()], parameters, ...(worst ? { weightChange: worst } : {}) };
}

/** An adapter from its two files' bytes. */
export function loadAdapter(name: string, configBytes: Uint8Array, weightBytes: Uint8Array, manifest: Manifest): Adapter {
  return buildAdapter(name, parseAdapterConfig(configBytes), readSafetensors(weightBytes), manifest);
}

const hexes = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === "string" && /^[0-9a-f]{64}$/.test(s)) : []);

/**
 * sha256 of every file the adapter learnt from, as its config records them: each training case's
 * (`training_cases[].sha256`), the source scans' (`provenance.source_sha256`) and files made from
 * them (`trained_on_sha256`: a shipped sample cropped from the scan an adapter learnt from), and the
 * volumeSha256 of each (`volume_sha256`: the same scan gzipped or not, or served decompressed). A
 * study marks a case whose image is one of these and leaves it out of the site's figures.
 */
export function trainedOnSha256(config: AdapterConfig): Set<string> {
  const c = config as Record<string, unknown>;
  const cases = Array.isArray(c.training_cases) ? c.training_cases.flatMap((t) => [...hexes((t as { sha256?: unknown })?.sha256), ...hexes((t as { volume_sha256?: unknown })?.volume_sha256)]) : [];
  const provenance = c.provenance as { source_sha256?: unknown; volume_sha256?: unknown } | undefined;
  return new Set([...cases, ...hexes(provenance?.source_sha256), ...hexes(provenance?.volume_sha256), ...hexes(c.trained_on_sha256)]);
}
