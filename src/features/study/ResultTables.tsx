import { formatDice, formatGain, formatMeanSd, formatStat, type GainStats, type SiteRow } from "../../core/study";
import { SyntheticBadge } from "./SyntheticBadge";

const num = "py-1.5 pr-3 text-right tabular-nums";

/** Both tables' first two column heads. */
const SiteHeads = () => (
  <>
    <th className="py-1.5 pr-3">Site</th>
    <th className="py-1.5 pr-3">Class</th>
  </>
);

/** A site row's first two cells in both tables: the site (marked when its scans are synthetic) and "mean". */
const SiteCells = ({ site, synthetic }: { site: string; synthetic: Set<string> }) => (
  <>
    <th scope="row" className="py-1.5 pr-3 text-left font-medium">
      {site}
      {synthetic.has(site) && <SyntheticBadge />}
    </th>
    <td className="py-1.5 pr-3 text-slate-400">mean</td>
  </>
);

/** Site × {base, adapter, gain}: n, mean ± sd; per class on demand. */
export function StudyTable({ table, classes, perClass, synthetic }: { table: SiteRow[]; classes: string[]; perClass: boolean; synthetic: Set<string> }) {
  return (
    <table aria-label="Study results" className="w-full border-collapse text-xs">
      <thead>
        <tr className="border-b border-slate-700 text-left text-[11px] uppercase tracking-wide text-slate-500">
          <SiteHeads />
          <th className={num} title="Cases scored, those the adapter learnt from left out">
            n
          </th>
          <th className={num} title="Cases the site's adapter learnt from: listed, not counted">
            Trained on
          </th>
          <th className="py-1.5 pr-3">Adapter</th>
          <th className={num}>Base</th>
          <th className={num}>+ adapter</th>
          <th className={num}>Gain</th>
          <th className={num}>Gain 95% CI</th>
          <th className={num}>Base range</th>
        </tr>
      </thead>
      <tbody>
        {table.flatMap((row) => [
          <tr key={row.site} className="border-b border-slate-800/70 text-slate-100">
            <SiteCells site={row.site} synthetic={synthetic} />
            <td className={num}>
              {row.n}
              {row.failed ? <span className="text-red-300"> (+{row.failed} failed)</span> : null}
            </td>
            <td className={`${num} ${row.trainedOn ? "text-fuchsia-200" : "text-slate-500"}`}>{row.trainedOn || "—"}</td>
            <td className="py-1.5 pr-3 text-slate-300">{row.adapter ?? "—"}</td>
            <td className={num}>{formatMeanSd(row.base.mean, row.base.sd)}</td>
            <td className={num}>{row.adapted ? formatMeanSd(row.adapted.mean, row.adapted.sd) : "—"}</td>
            <td className={`${num} ${row.gain?.mean == null ? "" : row.gain.mean > 0 ? "text-emerald-300" : "text-red-300"}`}>{row.gain ? formatMeanSd(row.gain.mean, row.gain.sd, true) : "—"}</td>
            <td className={`${num} text-slate-300`}>{formatCi(row.gain)}</td>
            <td className={`${num} text-slate-400`}>{row.base.min === null ? "—" : `${formatDice(row.base.min)}–${formatDice(row.base.max)}`}</td>
          </tr>,
          ...(perClass
            ? classes.map((name) => {
                const c = row.classes[name];
                return (
                  <tr key={`${row.site}-${name}`} className="border-b border-slate-800/40 text-slate-300">
                    <td />
                    <td className="py-1 pr-3 text-slate-400">{name}</td>
                    <td className={num}>{c.base.n}</td>
                    <td />
                    <td />
                    <td className={num}>{formatMeanSd(c.base.mean, c.base.sd)}</td>
                    <td className={num}>{c.adapted ? formatMeanSd(c.adapted.mean, c.adapted.sd) : "—"}</td>
                    <td className={num}>{c.gain ? formatGain(c.gain.mean) : "—"}</td>
                    <td className={`${num} text-slate-400`}>{formatCi(c.gain)}</td>
                    <td />
                  </tr>
                );
              })
            : []),
        ])}
      </tbody>
    </table>
  );
}

/** Site × {base, adapter}: absolute volume error % and HD95 mm, mean ± sd over cases (of the mean over classes; per class on demand). */
export function BeyondDiceTable({ table, classes, perClass, synthetic }: { table: SiteRow[]; classes: string[]; perClass: boolean; synthetic: Set<string> }) {
  const cells = (m: SiteRow["hd95Mm"]["mean"] | undefined, digits: number) => (
    <>
      <td className={num}>{formatStat(m?.base.mean, m?.base.sd, digits)}</td>
      <td className={num}>{m?.adapted ? formatStat(m.adapted.mean, m.adapted.sd, digits) : "—"}</td>
    </>
  );
  return (
    <table aria-label="Study volume error and HD95" className="w-full border-collapse text-xs">
      <caption className="pb-1 text-left text-[11px] text-slate-500">
        Volume error 100·|predicted − reference|/reference and HD95 (95th-percentile surface distance, mm): the mean over classes per case, then mean ± sd over the site's cases; lower is better.
      </caption>
      <thead>
        <tr className="border-b border-slate-700 text-left text-[11px] uppercase tracking-wide text-slate-500">
          <SiteHeads />
          <th className={num}>|Vol. err.| % base</th>
          <th className={num}>+ adapter</th>
          <th className={num}>HD95 mm base</th>
          <th className={num}>+ adapter</th>
        </tr>
      </thead>
      <tbody>
        {table.flatMap((row) => [
          <tr key={row.site} className="border-b border-slate-800/70 text-slate-100">
            <SiteCells site={row.site} synthetic={synthetic} />
            {cells(row.absVolumeErrorPct?.mean, 1)}
            {cells(row.hd95Mm?.mean, 2)}
          </tr>,
          ...(perClass
            ? classes.map((name) => (
                <tr key={`${row.site}-${name}`} className="border-b border-slate-800/40 text-slate-300">
                  <td />
                  <td className="py-1 pr-3 text-slate-400">{name}</td>
                  {cells(row.absVolumeErrorPct?.classes[name], 1)}
                  {cells(row.hd95Mm?.classes[name], 2)}
                </tr>
              ))
            : []),
        ])}
      </tbody>
    </table>
  );
}

/** "+0.350 to +0.470", "—" without an interval. */
const formatCi = (gain: GainStats | null) => (gain?.ci95 ? `${formatGain(gain.ci95[0])} to ${formatGain(gain.ci95[1])}` : "—");
