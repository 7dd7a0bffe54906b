import { z } from "zod";

// The safetensors format: u64 little-endian header length, a JSON header naming each tensor's
// dtype, shape and byte range, then the raw little-endian data. The npm packages for it are
// unmaintained stubs, and the format is this small, so it is read here.

export class AdapterError extends Error {
  override name = "AdapterError";
}

const Entry = z.object({ dtype: z.string(), shape: z.array(z.number().int().min(0)), data_offsets: z.tuple([z.number().int(), z.number().int()]) });

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Parse a .safetensors file into float32 tensors (F32, F16, BF16 and F64 accepted). */
export function readSafetensors(bytes: Uint8Array, fileName = "adapter_model.safetensors"): Record<string, NamedTensor> {
  if (bytes.length < 8) throw new AdapterError(`${fileName} is too short to be a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n <= 0 || 8 + n > bytes.length) throw new AdapterError(`${fileName} is not a safetensors file (bad header length)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch {
    throw new AdapterError(`${fileName} is not a safetensors file (header is not JSON)`);
  }
  const base = 8 + n;
  const out: Record<string, NamedTensor> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const parsed = Entry.safeParse(raw);
    if (!parsed.success) throw new AdapterError(`${fileName}: tensor ${name} has a malformed header entry`);
    const { dtype, shape, data_offsets: [a, b] } = parsed.data;
    const size = BYTES[dtype];
    if (!size) throw new AdapterError(`${fileName}: tensor ${name} is ${dtype}; adapters must be F32, F16, BF16 or F64`);
    const count = shape.reduce((p, d) => p * d, 1);
    if (b - a !== count * size || base + b > bytes.length) throw new AdapterError(`${fileName}: tensor ${name} is truncated or its size does not match its shape`);
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const o = base + a + i * size;
      data[i] = dtype === "F32" ? view.getFloat32(o, true)
        : dtype === "F64" ? view.getFloat64(o, true)
        : dtype === "F16" ? f16ToF32(view.getUint16(o, true))
        : new Float32Array(new Uint32Array([view.getUint16(o, true) << 16]).buffer)[0];
    }
    out[name] = { shape, data };
  }
  return out;
}

/** Write float32 tensors as safetensors (tests and tools). */
export function writeSafetensors(tensors: Record<string, NamedTensor>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  const names = Object.keys(tensors).sort();
  for (const name of names) {
    const bytes = tensors[name].data.length * 4;
    header[name] = { dtype: "F32", shape: tensors[name].shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  if (metadata) header.__metadata__ = metadata;
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((json.length) % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let o = 8 + head.length;
  for (const name of names) {
    for (const v of tensors[name].data) {
      view.setFloat32(o, v, true);
      o += 4;
    }
  }
  return out;
}
