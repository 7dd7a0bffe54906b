import { z } from "zod";

// The safetensors format: u64 little-endian header length, a JSON header naming each tensor's
// dtype, shape and byte range, then the raw little-endian data. The npm packages for it are
// unmaintained stubs, and the format is this small, so it is read here.

export class AdapterError extends Error {
  override name = "AdapterError";
}

const Entry = z.object({ dtype: z.string(), shape: z.array(z.number().int().min(0)), data_offsets: z.tuple([z.number().int().min(0), z.number().int().min(0)]) });
const Metadata = z.record(z.string(), z.string());

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };
/** The safetensors library's own limit on the JSON header (100 MB): a longer one is a damaged length. */
const MAX_HEADER = 100_000_000;

export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/**
 * The first key that some object of this (valid) JSON text names twice, or null. JSON.parse keeps
 * the last of them silently, so a header naming a tensor twice would point at other bytes than the
 * writer meant: this walks the text, noting each object's keys.
 */
export function duplicateKey(text: string): string | null {
  const keys: (Set<string> | null)[] = []; // one per open object; null for an open array
  let keyNext = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const own = keys[keys.length - 1];
      if (own && keyNext) {
        const key = JSON.parse(text.slice(i, j + 1)) as string; // "\u0061" and "a" are the same key
        if (own.has(key)) return key;
        own.add(key);
        keyNext = false;
      }
      i = j;
    } else if (c === "{") {
      keys.push(new Set());
      keyNext = true;
    } else if (c === "[") keys.push(null);
    else if (c === "}" || c === "]") keys.pop();
    else if (c === ",") keyNext = keys[keys.length - 1] != null;
  }
  return null;
}

/**
 * Parse a .safetensors file into float32 tensors (F32, F16, BF16 and F64 accepted). Strict, as the
 * format's own library is: a sane header length, UTF-8 JSON with no key named twice, and byte
 * ranges that start at 0, follow each other in order without gaps or overlaps, match each tensor's
 * shape and dtype, and end where the file ends.
 */
export function readSafetensors(bytes: Uint8Array, fileName = "adapter_model.safetensors"): Record<string, NamedTensor> {
  if (bytes.length < 8) throw new AdapterError(`${fileName} is too short to be a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getBigUint64(0, true);
  if (length < 2n || length > BigInt(MAX_HEADER) || 8n + length > BigInt(bytes.length)) {
    throw new AdapterError(`${fileName} is not a safetensors file (bad header length: ${length} bytes${length > BigInt(MAX_HEADER) ? `, more than the format's ${MAX_HEADER}` : length >= 2n ? `, in a file of ${bytes.length}` : ""})`);
  }
  const n = Number(length);
  let text: string, header: unknown;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
    header = JSON.parse(text);
  } catch {
    throw new AdapterError(`${fileName} is not a safetensors file (header is not UTF-8 JSON)`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw new AdapterError(`${fileName} is not a safetensors file (header is not a JSON object)`);
  const twice = duplicateKey(text);
  if (twice !== null) throw new AdapterError(`${fileName}: its header names "${twice}" twice, and which one holds the tensor cannot be told: the file is damaged; write it again`);
  const base = 8 + n;
  const dataLength = bytes.length - base;
  const entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (!Metadata.safeParse(raw).success) throw new AdapterError(`${fileName}: its __metadata__ must map names to strings`);
      continue;
    }
    const parsed = Entry.safeParse(raw);
    if (!parsed.success) throw new AdapterError(`${fileName}: tensor ${name} has a malformed header entry`);
    const { dtype, shape, data_offsets: [begin, end] } = parsed.data;
    const size = BYTES[dtype];
    if (!size) throw new AdapterError(`${fileName}: tensor ${name} is ${dtype}; adapters must be F32, F16, BF16 or F64`);
    const count = shape.reduce((p, d) => p * d, 1);
    if (!Number.isSafeInteger(count * size) || end - begin !== count * size) {
      throw new AdapterError(`${fileName}: tensor ${name} spans bytes ${begin}–${end} of the data, but its shape ${JSON.stringify(shape)} of ${dtype} takes ${count * size}: the file is damaged`);
    }
    entries.push({ name, dtype, shape, begin, end });
  }
  // the byte ranges, in order, tile the data exactly: from 0 to its end, no gap, no overlap
  entries.sort((x, y) => x.begin - y.begin || x.end - y.end);
  let at = 0;
  for (const e of entries) {
    if (e.begin !== at) {
      throw new AdapterError(`${fileName}: tensor ${e.name} starts at byte ${e.begin} of the data, but ${at ? "the tensor before it ends" : "the data starts"} at byte ${at}: tensors must follow each other without gaps or overlaps; the file is damaged`);
    }
    at = e.end;
  }
  if (at !== dataLength) {
    throw new AdapterError(`${fileName}: its tensors end at byte ${at} of the data, but the file holds ${dataLength} bytes of data: it is ${at > dataLength ? "truncated" : "padded with bytes no tensor uses, or damaged"}`);
  }
  const out: Record<string, NamedTensor> = {};
  for (const { name, dtype, shape, begin } of entries) {
    const size = BYTES[dtype];
    const count = shape.reduce((p, d) => p * d, 1);
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const o = base + begin + i * size;
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
