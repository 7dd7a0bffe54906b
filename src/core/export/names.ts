import { stripVolumeExtension } from "../io/formats";

/** The scan's name without its volume extension ("sub-01_T1w.nii.gz" -> "sub-01_T1w"). */
export const scanStem = stripVolumeExtension;

/**
 * What an export of `scan` is called: "<scan>_siteseg-<what>[_<adapter>]", the adapter named so
 * that masks and reports of the base and of each adapter sit side by side. No extension.
 */
export function exportStem(scan: string, what: "mask" | "dice" | "view", adapter: string | null): string {
  return `${scanStem(scan)}_siteseg-${what}${adapter ? `_${adapter.replace(/[^\w.-]+/g, "-").replace(/^-|-$/g, "")}` : ""}`;
}

/** `v` rounded to `digits` decimals (numbers in exported files). */
export const roundTo = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
