import type { AdapterSlot, Manifest } from "../manifest/schema";
import { f16ToF32 } from "./safetensors";

/**
 * How much an adapter may change a weight of the base: ‖B·A·scaling‖ / ‖W‖ (Frobenius norms) in
 * any one slot. The shipped adapters of siteseg-tissue change them by 0.18–0.33× at most (every
 * adapter trained here so far by 0.34× or less); the synth-pd adapter's change tripled (0.9×) took
 * its sample's Dice from 0.84 to 0.49, ten-fold (2.9×) to 0.01, thirty-fold to an empty mask. So 3×
 * (nine times the largest trained) is no adapter that works: it is a wrong alpha or damaged weights.
 */
export const MAX_WEIGHT_CHANGE = 3;

/** "3.4×", "290×", "10^5×": a ratio as the user reads it. */
export function times(ratio: number): string {
  if (!Number.isFinite(ratio)) return "infinitely many times";
  return ratio < 1000 ? `${Number(ratio.toPrecision(2))}×` : `10^${Math.floor(Math.log10(ratio))}×`;
}

/**
 * ‖B·A‖ (Frobenius) times `scaling`, without forming B·A: A is r × fan (row-major), B out × r.
 * ‖BA‖² = Σᵢⱼ (AAᵀ)ᵢⱼ (BᵀB)ᵢⱼ, in float64 so that weights near float32's limit do not overflow.
 */
export function deltaNorm(A: Float32Array, B: Float32Array, r: number, scaling: number): number {
  const fan = A.length / r, out = B.length / r;
  let sum = 0;
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < r; j++) {
      let a = 0, b = 0;
      for (let f = 0; f < fan; f++) a += A[i * fan + f] * A[j * fan + f];
      for (let o = 0; o < out; o++) b += B[o * r + i] * B[o * r + j];
      sum += a * b;
    }
  }
  return Math.sqrt(Math.max(0, sum)) * Math.abs(scaling);
}

// A protobuf reader for what is needed of an ONNX model: its graph's initializers (weights).
type Field = { field: number; wire: number; value: number; start: number; end: number };

function* fields(b: Uint8Array, start: number, end: number): Generator<Field> {
  let p = start;
  const varint = () => {
    let v = 0, m = 1;
    for (;;) {
      if (p >= end || m > 2 ** 63) throw new Error("bad varint");
      const x = b[p++];
      v += (x & 0x7f) * m;
      m *= 128;
      if (x < 0x80) return v;
    }
  };
  while (p < end) {
    const key = varint();
    const field = Math.floor(key / 8), wire = key % 8;
    let value = 0, s = p;
    if (wire === 0) value = varint();
    else if (wire === 1) p += 8;
    else if (wire === 5) p += 4;
    else if (wire === 2) {
      value = varint();
      s = p;
      p += value;
    } else throw new Error(`protobuf wire type ${wire}`);
    if (p > end) throw new Error("field runs past its message");
    yield { field, wire, value, start: s, end: p };
  }
}

/** ONNX TensorProto data types this reads, with their byte sizes. */
const ONNX_TYPES: Record<number, number> = { 1: 4, 10: 2, 11: 8, 16: 2 }; // FLOAT, FLOAT16, DOUBLE, BFLOAT16

/** The graph's weight that `slot` adds its delta to, by PEFT's and this repo's names for it, and its shape. */
function slotWeight(slot: AdapterSlot, name: string, dims: number[]): boolean {
  const shape = [slot.outFeatures, slot.inFeatures, ...(slot.kernel ?? [])];
  const named = [".weight", ".base.weight", ".base_layer.weight"].some((tail) => name === `${slot.module}${tail}` || name.endsWith(`.${slot.module}${tail}`));
  return named && dims.length === shape.length && dims.every((d, i) => d === shape[i]);
}

/**
 * ‖W‖ (Frobenius) of each slot's base weight, read from the ONNX model's initializers: the one
 * whose name ends in the slot's module + ".weight" (or ".base.weight", ".base_layer.weight") with
 * the slot's shape. A slot with no such weight, or more than one, is left out.
 */
export function baseWeightNorms(onnx: Uint8Array, slots: readonly AdapterSlot[]): Map<string, number> {
  const view = new DataView(onnx.buffer, onnx.byteOffset, onnx.byteLength);
  const found = new Map<string, number[]>();
  for (const g of fields(onnx, 0, onnx.length)) {
    if (g.field !== 7 || g.wire !== 2) continue; // ModelProto.graph
    for (const init of fields(onnx, g.start, g.end)) {
      if (init.field !== 5 || init.wire !== 2) continue; // GraphProto.initializer
      let name = "", type = 0, external = false;
      const dims: number[] = [], floats: Field[] = [];
      let raw: Field | null = null;
      for (const t of fields(onnx, init.start, init.end)) {
        if (t.field === 1 && t.wire === 0) dims.push(t.value);
        else if (t.field === 1 && t.wire === 2) dims.push(...packedVarints(onnx, t.start, t.end));
        else if (t.field === 2) type = t.value;
        else if (t.field === 4) floats.push(t);
        else if (t.field === 8) name = new TextDecoder().decode(onnx.subarray(t.start, t.end));
        else if (t.field === 9) raw = t;
        else if (t.field === 14) external = t.value === 1;
      }
      const slot = slots.find((s) => slotWeight(s, name, dims));
      if (!slot || external || !ONNX_TYPES[type]) continue;
      let sum = 0;
      const add = (v: number) => (sum += v * v);
      if (raw && type === 1) {
        for (const v of new Float32Array(onnx.slice(raw.start, raw.end - ((raw.end - raw.start) % 4)).buffer)) add(v); // (a copy: raw data need not be aligned)
      } else if (raw) {
        const size = ONNX_TYPES[type];
        for (let o = raw.start; o + size <= raw.end; o += size) {
          add(type === 1 ? view.getFloat32(o, true) : type === 11 ? view.getFloat64(o, true) : type === 10 ? f16ToF32(view.getUint16(o, true)) : new Float32Array(new Uint32Array([view.getUint16(o, true) << 16]).buffer)[0]);
        }
      } else if (type === 1) {
        for (const f of floats) for (let o = f.start; o + 4 <= f.end; o += 4) add(view.getFloat32(o, true));
      }
      found.set(slot.module, [...(found.get(slot.module) ?? []), Math.sqrt(sum)]);
    }
  }
  const norms = new Map<string, number>();
  for (const [module, [norm, ...more]] of found) if (!more.length && norm > 0 && Number.isFinite(norm)) norms.set(module, norm);
  return norms;
}

function packedVarints(b: Uint8Array, start: number, end: number): number[] {
  const out: number[] = [];
  let v = 0, m = 1;
  for (let p = start; p < end; p++) {
    v += (b[p] & 0x7f) * m;
    m *= 128;
    if (b[p] < 0x80) {
      out.push(v);
      v = 0;
      m = 1;
    }
  }
  return out;
}

/**
 * The manifest with each adapter slot's `baseNorm` filled in from the model's graph where the
 * manifest leaves it out: what an adapter's change is measured against (buildAdapter). A graph this
 * cannot read leaves the manifest as it is; loading never fails here.
 */
export function withBaseNorms(manifest: Manifest, onnx: Uint8Array): Manifest {
  const slots = manifest.adapters.slots;
  if (slots.every((s) => s.baseNorm)) return manifest;
  let norms: Map<string, number>;
  try {
    norms = baseWeightNorms(onnx, slots);
  } catch {
    return manifest;
  }
  return { ...manifest, adapters: { ...manifest.adapters, slots: slots.map((s) => (s.baseNorm || !norms.has(s.module) ? s : { ...s, baseNorm: norms.get(s.module) })) } };
}
