import type { ContrastProfile } from "../adapters/profile";
import { writeSafetensors } from "../adapters/safetensors";
import type { Manifest } from "../manifest/schema";
import type { TrainedLora } from "./train";

/** Where an adapter came from, recorded in its adapter_config.json. */
export interface AdapterProvenance {
  site: string;
  description: string;
  /** The scan slices trained on (voxel axis, indices), the held-out gap, and the images. */
  trainingSlices: { axis: number; indices: number[]; gap: number; images: string[] };
  /** sha256 of each source scan's file, in the order of trainingSlices.images. */
  sourceSha256: string[];
  /** The contrast profile of each training image (core/adapters/profile.ts), in images' order. */
  contrasts: ContrastProfile[];
  /** The tool and the moment it was made (ISO date). */
  tool: string;
  /** Where the training steps ran (the train-step session's backend at the end: "cpu", "wasm (2 threads)", "webgpu"). */
  runtime: string;
  date: string;
  /** Every case trained on (id, images, their sha256, slice axis and indices), when there were several. */
  cases?: { id: string; images: string[]; sourceSha256: string[]; volumeSha256: string[]; axis: number; indices: number[] }[];
  /** The training scans' volumeSha256 (one case; several cases record theirs in `cases`). */
  volumeSha256?: string[];
  /** Held-out mean Dice of the base and of this adapter, per image, measured right after training. */
  heldOut?: { base: number | null; adapter: number | null; slices: number }[];
}

const moduleNames = (t: TrainedLora) => Object.keys(t.tensors).filter((k) => k.endsWith(".lora_A.weight")).map((k) => k.slice("base_model.model.".length, -".lora_A.weight".length));

/**
 * adapter_config.json and adapter_model.safetensors in the layout Hugging Face PEFT writes (and
 * training/lora.py's save_adapter), with the training recipe and provenance beside PEFT's keys.
 */
export function adapterFiles(trained: TrainedLora, manifest: Manifest, p: AdapterProvenance): { config: Uint8Array; weights: Uint8Array } {
  const { rank, alpha, steps, lr, batch, crop, seed, weightDecay, frozen, anchor, zoom, gainJitter } = trained.options;
  const parameters = Object.values(trained.tensors).reduce((n, t) => n + t.data.length, 0);
  const config = {
    peft_type: "LORA",
    task_type: null,
    base_model_name_or_path: manifest.id,
    r: rank,
    lora_alpha: alpha,
    lora_dropout: 0,
    // PEFT's list rule (a name equal to, or ending in "." + an entry): the modules trained
    target_modules: frozen.length ? moduleNames(trained) : [...new Set(manifest.adapters.slots.map((s) => s.module.split(".").pop()!))],
    bias: "none",
    fan_in_fan_out: false,
    inference_mode: true,
    use_rslora: false,
    use_dora: false,
    modules_to_save: null,
    site: p.site,
    description: p.description,
    training_slices: p.trainingSlices,
    ...(p.cases ? { training_cases: p.cases.map((c) => ({ id: c.id, images: c.images, sha256: c.sourceSha256, volume_sha256: c.volumeSha256, axis: c.axis, indices: c.indices })) } : {}),
    contrasts: (p.cases ? p.cases.flatMap((c) => c.images) : p.trainingSlices.images).map((image, i) => ({ image, profile: p.contrasts[i] })),
    parameters,
    provenance: {
      tool: p.tool,
      runtime: p.runtime,
      date: p.date,
      base_model: { id: manifest.id, version: manifest.version, sha256: manifest.files.model.sha256 },
      source_sha256: p.cases ? p.cases.flatMap((c) => c.sourceSha256) : p.sourceSha256,
      volume_sha256: p.cases ? p.cases.flatMap((c) => c.volumeSha256) : (p.volumeSha256 ?? []),
      recipe: { steps, lr, batch, crop, seed, weight_decay: weightDecay, frozen, anchor, zoom, gain_jitter: gainJitter, optimizer: "AdamW", loss: "cross-entropy + soft Dice" },
      final_loss: trained.losses.at(-1) ?? null,
      ...(p.heldOut ? { held_out_mean_dice: p.heldOut } : {}),
    },
  };
  return {
    config: new TextEncoder().encode(JSON.stringify(config, null, 2)),
    weights: writeSafetensors(trained.tensors, { format: "pt" }),
  };
}
