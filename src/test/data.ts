import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/** Shared reference data (not in the repo): $SITESEG_DATA, else ../shared/data beside the project. */
export const DATA_DIR = process.env.SITESEG_DATA ?? path.resolve(here, "../../../shared/data");

/** Absolute path of a file inside DATA_DIR. */
export function dataPath(relative: string): string {
  return path.join(DATA_DIR, relative);
}

/** True when DATA_DIR exists and holds every listed file; use with describe.skipIf(!hasData(...)). */
export function hasData(...relative: string[]): boolean {
  return existsSync(DATA_DIR) && relative.every((r) => existsSync(dataPath(r)));
}

/** The message a skipped data test should show, naming the missing folder. */
export function missingDataMessage(...relative: string[]): string {
  return `reference data not found (${relative.join(", ")} under ${DATA_DIR}); set SITESEG_DATA to run these tests`;
}
