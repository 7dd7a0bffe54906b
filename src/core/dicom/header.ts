import { inflateSync } from "fflate";

/**
 * Just enough of a DICOM header to tell series apart and describe them: no pixel data is read
 * (conversion is dcm2niix's job). Part 10 files only: a 128-byte preamble, then "DICM".
 */
export interface DicomHeader {
  transferSyntax: string;
  /** (0002,0002), or (0008,0016) when the meta header lacks it. */
  sopClassUid: string;
  modality: string;
  seriesUid: string;
  seriesNumber: number | null;
  seriesDescription: string;
  protocolName: string;
  studyUid: string;
  instanceNumber: number | null;
  /** ImageOrientationPatient: row then column direction cosines, LPS (from the shared functional groups of an enhanced file when not at the top). */
  orientation: number[] | null;
  /** ImagePositionPatient, LPS mm. */
  position: number[] | null;
  /** PixelSpacing: between rows, then between columns (mm). */
  pixelSpacing: number[] | null;
  rows: number;
  columns: number;
  /** NumberOfFrames (1 for single-frame images). */
  frames: number;
  hasPixelData: boolean;
}

/** True when the bytes carry the DICOM Part 10 magic "DICM" at byte 128, whatever the file is called. */
export function isDicom(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/** DICOMDIR: an index of a disc's files, not an image. */
export const MEDIA_DIRECTORY = "1.2.840.10008.1.3.10";

const EXPLICIT_BE = "1.2.840.10008.1.2.2";
const IMPLICIT_LE = "1.2.840.10008.1.2";
const DEFLATED = "1.2.840.10008.1.2.1.99";
/** VRs whose explicit-VR header has 2 reserved bytes and a 4-byte length. */
const LONG_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT"]);
const UNDEFINED = 0xffffffff;
const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQUENCE_END = 0xfffee0dd;
const PIXEL_DATA = 0x7fe00010;

/** Tags read as text (their numeric values parsed after). */
const WANTED = new Map<number, keyof Fields>([
  [0x00020002, "mediaSopClass"],
  [0x00020010, "transferSyntax"],
  [0x00080016, "sopClass"],
  [0x00080060, "modality"],
  [0x0008103e, "seriesDescription"],
  [0x00181030, "protocolName"],
  [0x0020000d, "studyUid"],
  [0x0020000e, "seriesUid"],
  [0x00200011, "seriesNumber"],
  [0x00200013, "instanceNumber"],
  [0x00200032, "position"],
  [0x00200037, "orientation"],
  [0x00280008, "frames"],
  [0x00280030, "pixelSpacing"],
]);
const US_TAGS = new Map<number, "rows" | "columns">([
  [0x00280010, "rows"],
  [0x00280011, "columns"],
]);
/** Geometry an enhanced (multi-frame) file keeps in its functional group sequences. */
const NESTED_OK = new Set<keyof Fields>(["orientation", "position", "pixelSpacing"]);

type Fields = {
  mediaSopClass: string;
  transferSyntax: string;
  sopClass: string;
  modality: string;
  seriesDescription: string;
  protocolName: string;
  studyUid: string;
  seriesUid: string;
  seriesNumber: string;
  instanceNumber: string;
  position: string;
  orientation: string;
  frames: string;
  pixelSpacing: string;
};

class Truncated extends Error {}

class Reader {
  top: Partial<Fields> = {};
  nested: Partial<Fields> = {};
  rows = 0;
  columns = 0;
  hasPixelData = false;
  private view: DataView;

  constructor(
    private bytes: Uint8Array,
    private explicit: boolean,
    private le: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(at: number, n: number) {
    if (at + n > this.bytes.length) throw new Truncated();
  }
  private u16(at: number) {
    this.need(at, 2);
    return this.view.getUint16(at, this.le);
  }
  private u32(at: number) {
    this.need(at, 4);
    return this.view.getUint32(at, this.le);
  }

  /**
   * Reads elements from `at` until `end` (or a delimiter when `end` is undefined); returns where it
   * stopped. `depth` 0 is the top-level dataset. Stops at pixel data (sets `done`).
   */
  dataset(at: number, end: number | undefined, depth: number): number {
    while (end === undefined || at < end) {
      if (end === undefined && at >= this.bytes.length) throw new Truncated();
      if (at >= this.bytes.length) return at;
      const tag = ((this.u16(at) << 16) | this.u16(at + 2)) >>> 0;
      if (tag === ITEM_END || tag === SEQUENCE_END) return at + 8; // delimiters are always implicit
      let vr = "";
      let length: number;
      let value: number;
      this.need(at, 6);
      const named = String.fromCharCode(this.bytes[at + 4], this.bytes[at + 5]);
      // an explicit-VR file whose element has no VR letters is read as implicit there (seen in the wild)
      if (this.explicit && tag !== ITEM && /^[A-Z]{2}$/.test(named)) {
        vr = named;
        if (LONG_VRS.has(vr)) {
          length = this.u32(at + 8);
          value = at + 12;
        } else {
          length = this.u16(at + 6);
          value = at + 8;
        }
      } else {
        length = this.u32(at + 4);
        value = at + 8;
      }
      if (tag === PIXEL_DATA && depth === 0) {
        this.hasPixelData = true;
        return this.bytes.length;
      }
      if (length === UNDEFINED) {
        // a sequence (or encapsulated data): items until the sequence delimiter
        at = this.items(value, undefined, depth + 1);
        continue;
      }
      this.need(value, Math.min(length, 1 << 16)); // long values may run past what we have (pixel data aside)
      if (vr === "SQ" || (!this.explicit && length > 0 && this.looksLikeItem(value))) {
        this.items(value, value + length, depth + 1);
      } else {
        this.keep(tag, vr, value, length, depth);
      }
      at = value + length;
    }
    return at;
  }

  private looksLikeItem(at: number): boolean {
    return at + 4 <= this.bytes.length && ((this.u16(at) << 16) | this.u16(at + 2)) >>> 0 === ITEM;
  }

  /** Items of a sequence, from `at` to `end` or to the sequence delimiter. */
  private items(at: number, end: number | undefined, depth: number): number {
    while (end === undefined || at < end) {
      const tag = ((this.u16(at) << 16) | this.u16(at + 2)) >>> 0;
      const length = this.u32(at + 4);
      if (tag === SEQUENCE_END) return at + 8;
      if (tag !== ITEM) throw new Truncated(); // not a sequence after all: stop reading
      at = length === UNDEFINED ? this.dataset(at + 8, undefined, depth) : (this.dataset(at + 8, at + 8 + length, depth), at + 8 + length);
    }
    return at;
  }

  private keep(tag: number, vr: string, at: number, length: number, depth: number) {
    const us = US_TAGS.get(tag);
    if (us && depth === 0 && length >= 2) {
      this[us] = this.u16(at);
      return;
    }
    const field = WANTED.get(tag);
    if (!field) return;
    const target = depth === 0 ? this.top : NESTED_OK.has(field) ? this.nested : null;
    if (!target || target[field] !== undefined || vr === "SQ") return;
    this.need(at, length);
    target[field] = text(this.bytes.subarray(at, at + length));
  }
}

const utf8 = new TextDecoder("utf-8");

/** A value's text: UTF-8 when it decodes cleanly, else Latin-1 (the default character set); padding trimmed. */
function text(bytes: Uint8Array): string {
  let s = utf8.decode(bytes);
  if (s.includes("\uFFFD")) s = Array.from(bytes, (b) => String.fromCharCode(b)).join("");
  return s.replace(/[\0\s]+$/, "").replace(/^\s+/, "");
}

function numbers(value: string | undefined, count: number): number[] | null {
  if (!value) return null;
  const ns = value.split("\\").map((v) => Number(v.trim()));
  return ns.length === count && ns.every(Number.isFinite) ? ns : null;
}

function integer(value: string | undefined): number | null {
  const n = value === undefined || value.trim() === "" ? NaN : Number(value.trim());
  return Number.isInteger(n) ? n : null;
}

/**
 * Reads the header fields of a DICOM Part 10 file (explicit or implicit VR little endian,
 * explicit big endian, deflated); null when the bytes are not DICOM. A truncated or odd file
 * keeps what could be read.
 */
export function readDicomHeader(bytes: Uint8Array): DicomHeader | null {
  if (!isDicom(bytes)) return null;
  // The meta group (0002) is always explicit VR little endian.
  const meta = new Reader(bytes, true, true);
  let at = 132;
  let metaEnd = 132;
  try {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // walk group 0002 elements one by one: its group length is sometimes wrong
    while (at + 8 <= bytes.length && v.getUint16(at, true) === 0x0002) {
      const vr = String.fromCharCode(bytes[at + 4], bytes[at + 5]);
      const long = LONG_VRS.has(vr);
      const length = long ? v.getUint32(at + 8, true) : v.getUint16(at + 6, true);
      at = (long ? at + 12 : at + 8) + length;
    }
    metaEnd = Math.min(at, bytes.length);
    meta.dataset(132, metaEnd, 0);
  } catch {
    /* a broken meta header: read the rest as explicit little endian */
  }
  const syntax = meta.top.transferSyntax ?? "";
  let body = bytes;
  let start = metaEnd;
  if (syntax === DEFLATED) {
    try {
      body = inflateSync(bytes.subarray(metaEnd));
      start = 0;
    } catch {
      body = new Uint8Array(0);
      start = 0;
    }
  }
  const reader = new Reader(body, syntax !== IMPLICIT_LE, syntax !== EXPLICIT_BE);
  try {
    reader.dataset(start, body.length, 0);
  } catch (e) {
    if (!(e instanceof Truncated)) throw e;
  }
  const f = { ...reader.top, mediaSopClass: meta.top.mediaSopClass, transferSyntax: syntax };
  return {
    transferSyntax: syntax,
    sopClassUid: f.mediaSopClass || f.sopClass || "",
    modality: f.modality ?? "",
    seriesUid: f.seriesUid ?? "",
    seriesNumber: integer(f.seriesNumber),
    seriesDescription: f.seriesDescription ?? "",
    protocolName: f.protocolName ?? "",
    studyUid: f.studyUid ?? "",
    instanceNumber: integer(f.instanceNumber),
    orientation: numbers(f.orientation ?? reader.nested.orientation, 6),
    position: numbers(f.position ?? reader.nested.position, 3),
    pixelSpacing: numbers(f.pixelSpacing ?? reader.nested.pixelSpacing, 2),
    rows: reader.rows,
    columns: reader.columns,
    frames: Math.max(1, integer(f.frames) ?? 1),
    hasPixelData: reader.hasPixelData,
  };
}
