/** How study numbers are shown to people (CLI tables, the app); files keep 4 decimals (see serialise.ts). */

/** `v` with `digits` decimals; never "-0.000". */
export function fixed(v: number, digits: number): string {
  const s = v.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** A Dice score for people: 3 decimals, "—" when there is none. */
export function formatDice(v: number | null | undefined): string {
  return v === null || v === undefined ? "—" : fixed(v, 3);
}

/** A Dice difference for people: signed, 3 decimals ("+0.041", "-0.012", "0.000"), "—" when there is none. */
export function formatGain(v: number | null | undefined): string {
  if (v === null || v === undefined) return "—";
  const s = fixed(v, 3);
  return v > 0 && s !== "0.000" ? `+${s}` : s;
}

/** "0.612 ± 0.020", or just the mean when there is no sd (one case). */
export function formatMeanSd(mean: number | null | undefined, sd: number | null | undefined, gain = false): string {
  const m = gain ? formatGain(mean) : formatDice(mean);
  return mean === null || mean === undefined || sd === null || sd === undefined ? m : `${m} ± ${fixed(sd, 3)}`;
}

/** A figure other than Dice for people: "12.3 ± 4.0" with `digits` decimals, just the mean without an sd, "—" without a mean. */
export function formatStat(mean: number | null | undefined, sd: number | null | undefined, digits: number): string {
  if (mean === null || mean === undefined) return "—";
  return sd === null || sd === undefined ? fixed(mean, digits) : `${fixed(mean, digits)} ± ${fixed(sd, digits)}`;
}
