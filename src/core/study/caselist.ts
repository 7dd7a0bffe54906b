import { conventionId, type ConventionId } from "../metrics/conventions";
import { stripVolumeExtension } from "../io/formats";
import { csvText as cellText } from "./serialise";
import { byKey, StudyError, type StudyCase } from "./types";

/** RFC 4180 records with the line each starts on; quoted fields may hold commas, quotes and newlines. */
export function parseCsv(text: string): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [], field = "", quoted = false, wasQuoted = false, line = 1, start = 1;
  const s = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const endRecord = () => {
    fields.push(field);
    if (fields.length > 1 || fields[0] !== "" || wasQuoted) rows.push({ line: start, fields });
    fields = [];
    field = "";
    wasQuoted = false;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c !== '"') {
        if (c === "\n") line++;
        field += c;
      } else if (s[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (c === '"' && field === "") {
      quoted = true;
      wasQuoted = true;
    } else if (c === ",") {
      fields.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && s[i + 1] === "\n") i++;
      endRecord();
      start = ++line;
    } else field += c;
  }
  if (quoted) throw new StudyError(`line ${start}: a quoted field is not closed`);
  if (field !== "" || fields.length) endRecord();
  return rows;
}

const COLUMNS = ["image", "label", "site", "convention"] as const;

/**
 * A case list: CSV with a header row naming the columns `image,label,site` and optionally
 * `convention` (one of the model's: classes, or a table its manifest lists; empty = guess), in any order. Paths stay as written;
 * the caller resolves relative ones (the CLI: against the list's folder). A case's id is its image
 * path without the extension, so each image may appear once.
 */
/** `conventions`: the ids the model knows (conventionsOf), for refusing a misspelt one by its line. */
export function parseCaseList(csvText: string, conventions: ConventionId[]): StudyCase[] {
  const rows = parseCsv(csvText);
  if (!rows.length) throw new StudyError("the case list is empty: it needs a header row image,label,site[,convention] and one row per case");
  const header = rows[0].fields.map((h) => h.trim().toLowerCase());
  for (const h of header) {
    if (!(COLUMNS as readonly string[]).includes(h)) throw new StudyError(`line ${rows[0].line}: unknown column "${h}" in the header (expected image, label, site and optionally convention)`);
  }
  for (const need of COLUMNS.slice(0, 3)) {
    if (!header.includes(need)) throw new StudyError(`line ${rows[0].line}: the header has no "${need}" column (expected image,label,site[,convention])`);
  }
  const col = Object.fromEntries(COLUMNS.map((c) => [c, header.indexOf(c)])) as Record<(typeof COLUMNS)[number], number>;
  const seen = new Map<string, number>();
  const cases = rows.slice(1).map(({ line, fields }) => {
    if (fields.length !== header.length) throw new StudyError(`line ${line}: ${fields.length} field${fields.length === 1 ? "" : "s"}, but the header has ${header.length}`);
    // a cell this app wrote neutralised against spreadsheet formulas ("'=…") reads as its text
    const get = (c: (typeof COLUMNS)[number]) => (col[c] < 0 ? "" : cellText(fields[col[c]].trim()).trim());
    const image = get("image"), label = get("label"), site = get("site"), convention = get("convention");
    for (const [name, value] of [["image", image], ["label", label], ["site", site]] as const) {
      if (!value) throw new StudyError(`line ${line}: the ${name} is empty`);
    }
    if (convention && !conventions.includes(conventionId(convention))) {
      throw new StudyError(`line ${line}: unknown convention "${convention}" (expected ${conventions.join(", ")}, or empty to guess)`);
    }
    const id = stripVolumeExtension(image);
    const earlier = seen.get(id);
    if (earlier !== undefined) throw new StudyError(`line ${line}: the image ${image} is already listed on line ${earlier}`);
    seen.set(id, line);
    const c: StudyCase = { id, site, image, label };
    if (convention) c.convention = conventionId(convention);
    return c;
  });
  return cases.sort(byKey((c) => c.id));
}

/** "I/N" (1-based) as given to --shard; a negative or zero index or count is named as such. */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^\s*([+-]?\d+)\s*\/\s*([+-]?\d+)\s*$/.exec(text);
  if (!m) throw new StudyError(`a shard is written I/N (e.g. 2/3: the second of three), got "${text}"`);
  const index = Number(m[1]), count = Number(m[2]);
  if (count < 1) throw new StudyError(`shard count must be at least 1, got "${text}"`);
  if (!Number.isSafeInteger(count)) throw new StudyError(`shard count must be a whole number below 2^53, got "${text}"`);
  if (index < 1 || index > count) throw new StudyError(`shard index must be between 1 and ${count}, got "${text}"`);
  return { index, count };
}

/**
 * The cases of shard `index` (1-based) of `count`: sorted by id, the k-th (0-based) goes to shard
 * (k mod count) + 1. Every case lands in exactly one shard, whatever order the input was in.
 */
export function shardCases(cases: StudyCase[], index: number, count: number): StudyCase[] {
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 1 || index > count) {
    throw new StudyError(`shard ${index}/${count} does not exist: the index runs from 1 to the count`);
  }
  return [...cases].sort(byKey((c) => c.id)).filter((_, k) => k % count === index - 1);
}
