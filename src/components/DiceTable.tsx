import type { Evaluation } from "../core/metrics/evaluate";
import { volumeError } from "../core/metrics/hausdorff";
import { Swatch } from "./Swatch";

const dice = (d: number | null | undefined) => (d === null || d === undefined ? "—" : d.toFixed(3));
const mL = (voxels: number | undefined, voxelMl: number) => (voxels === undefined ? "—" : (voxels * voxelMl).toFixed(1));
/** Volume error in % of the reference volume, signed; "—" when the reference has none of the class. */
const volErr = (ev: Evaluation, index: number, voxelMl: number) => {
  const c = ev.counts[index];
  const pct = c ? volumeError(c.predicted * voxelMl, c.reference * voxelMl).pct : null;
  return pct === null ? "—" : `${pct > 0 ? "+" : pct < 0 ? "−" : ""}${Math.abs(pct).toFixed(1)}`;
};
/** HD95 in mm: "…" while it is being computed (the app defers it), "—" when the class is absent from either. */
const hd95 = (ev: Evaluation, name: string) => {
  if (!ev.hd95Mm) return "…";
  const v = ev.hd95Mm[name];
  return v === null || v === undefined ? "—" : v.toFixed(1);
};
const VOL_ERR_TITLE = "Volume error: 100 × (predicted − reference) / reference";
const HD95_TITLE = "95th-percentile Hausdorff distance between the predicted and reference surfaces, mm (… while computing)";

function ClassHeader({ name, color }: { name: string; color: [number, number, number] }) {
  return (
    <th scope="row" className="py-1.5 pr-2 text-left font-medium text-slate-200">
      <span className="inline-flex items-center gap-1.5">
        <Swatch rgb={color} />
        {name}
      </span>
    </th>
  );
}

/** Dice per foreground class with predicted and reference volumes, volume error and HD95, and the mean Dice. */
export function DiceTable({ evaluation, classes, voxelMl }: { evaluation: Evaluation; classes: { index: number; name: string; color: [number, number, number] }[]; voxelMl: number }) {
  const fg = classes.filter((c) => c.index !== 0);
  return (
    <table aria-label="Dice" className="w-full border-collapse text-xs tabular-nums">
      <thead>
        <tr className="border-b border-slate-700 text-left text-[11px] uppercase tracking-wide text-slate-500">
          <th scope="col" className="py-1.5 pr-2 font-medium">Class</th>
          <th scope="col" className="py-1.5 pr-2 text-right font-medium">Dice</th>
          <th scope="col" className="py-1.5 pr-2 text-right font-medium">Pred. mL</th>
          <th scope="col" className="py-1.5 pr-2 text-right font-medium">Ref. mL</th>
          <th scope="col" className="py-1.5 pr-2 text-right font-medium" title={VOL_ERR_TITLE}>
            Vol. err. %
          </th>
          <th scope="col" className="py-1.5 text-right font-medium" title={HD95_TITLE}>
            HD95 mm
          </th>
        </tr>
      </thead>
      <tbody>
        {fg.map((c) => (
          <tr key={c.index} className="border-b border-slate-800/70">
            <ClassHeader name={c.name} color={c.color} />
            <td className="py-1.5 pr-2 text-right text-slate-100">{dice(evaluation.dice[c.name])}</td>
            <td className="py-1.5 pr-2 text-right text-slate-400">{mL(evaluation.counts[c.index]?.predicted, voxelMl)}</td>
            <td className="py-1.5 pr-2 text-right text-slate-400">{mL(evaluation.counts[c.index]?.reference, voxelMl)}</td>
            <td className="py-1.5 pr-2 text-right text-slate-300">{volErr(evaluation, c.index, voxelMl)}</td>
            <td className="py-1.5 text-right text-slate-300">{hd95(evaluation, c.name)}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr className="font-semibold">
          <th scope="row" className="py-1.5 pr-2 text-left text-slate-200">Mean</th>
          <td className="py-1.5 pr-2 text-right text-sky-300">{dice(evaluation.meanDice)}</td>
          <td className="py-1.5 pr-2" />
          <td className="py-1.5 pr-2" />
          <td className="py-1.5 pr-2" />
          <td className="py-1.5" />
        </tr>
      </tfoot>
    </table>
  );
}

const delta = (a: number | null | undefined, b: number | null | undefined) => {
  if (a === null || a === undefined || b === null || b === undefined) return "—";
  const d = b - a;
  return `${d >= 0 ? "+" : "−"}${Math.abs(d).toFixed(3)}`;
};
const deltaTone = (a: number | null | undefined, b: number | null | undefined) =>
  a == null || b == null || Math.abs(b - a) < 0.0005 ? "text-slate-400" : b > a ? "text-emerald-300" : "text-red-300";

/** Volume error and HD95 per class for the base and an adapter on the same scan (beside the Dice comparison). */
export function CompareVolumeHd95Table({ base, adapted, adapter, classes, voxelMl }: { base: Evaluation; adapted: Evaluation; adapter: string; classes: { index: number; name: string; color: [number, number, number] }[]; voxelMl: number }) {
  const fg = classes.filter((c) => c.index !== 0);
  return (
    <table aria-label="Volume error and HD95" className="w-full border-collapse text-xs tabular-nums">
      <thead>
        <tr className="border-b border-slate-700 text-left text-[11px] uppercase tracking-wide text-slate-500">
          <th scope="col" className="py-1.5 pr-2 font-medium">Class</th>
          <th scope="col" className="py-1.5 pr-2 text-right font-medium" title={VOL_ERR_TITLE}>
            Vol. err. % base
          </th>
          <th scope="col" className="max-w-[5rem] truncate py-1.5 pr-2 text-right font-medium normal-case" title={`${VOL_ERR_TITLE}, base + ${adapter}`}>
            + {adapter}
          </th>
          <th scope="col" className="py-1.5 pr-2 text-right font-medium" title={HD95_TITLE}>
            HD95 base
          </th>
          <th scope="col" className="max-w-[5rem] truncate py-1.5 text-right font-medium normal-case" title={`${HD95_TITLE}, base + ${adapter}`}>
            + {adapter}
          </th>
        </tr>
      </thead>
      <tbody>
        {fg.map((c) => (
          <tr key={c.index} className="border-b border-slate-800/70">
            <ClassHeader name={c.name} color={c.color} />
            <td className="py-1.5 pr-2 text-right text-slate-300">{volErr(base, c.index, voxelMl)}</td>
            <td className="py-1.5 pr-2 text-right text-slate-100">{volErr(adapted, c.index, voxelMl)}</td>
            <td className="py-1.5 pr-2 text-right text-slate-300">{hd95(base, c.name)}</td>
            <td className="py-1.5 text-right text-slate-100">{hd95(adapted, c.name)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Dice per class for the base and an adapter on the same scan, with the difference. */
export function CompareDiceTable({ base, adapted, adapter, classes, voxelMl }: { base: Evaluation; adapted: Evaluation; adapter: string; classes: { index: number; name: string; color: [number, number, number] }[]; voxelMl: number }) {
  const fg = classes.filter((c) => c.index !== 0);
  const row = (a: number | null | undefined, b: number | null | undefined) => (
    <>
      <td className="py-1.5 pr-2 text-right text-slate-100">{dice(a)}</td>
      <td className="py-1.5 pr-2 text-right text-slate-100">{dice(b)}</td>
      <td className={`py-1.5 pr-2 text-right ${deltaTone(a, b)}`}>{delta(a, b)}</td>
    </>
  );
  return (
    <table aria-label="Dice" className="w-full border-collapse text-xs tabular-nums">
      <thead>
        <tr className="border-b border-slate-700 text-left text-[11px] uppercase tracking-wide text-slate-500">
          <th scope="col" className="py-1.5 pr-2 font-medium">Class</th>
          <th scope="col" className="py-1.5 pr-2 text-right font-medium">Base</th>
          <th scope="col" className="max-w-[6rem] truncate py-1.5 pr-2 text-right font-medium normal-case" title={`Base + ${adapter}`}>
            + {adapter}
          </th>
          <th scope="col" className="py-1.5 pr-2 text-right font-medium">Δ</th>
          <th scope="col" className="py-1.5 text-right font-medium">Ref. mL</th>
        </tr>
      </thead>
      <tbody>
        {fg.map((c) => (
          <tr key={c.index} className="border-b border-slate-800/70">
            <ClassHeader name={c.name} color={c.color} />
            {row(base.dice[c.name], adapted.dice[c.name])}
            <td className="py-1.5 text-right text-slate-400">{mL(base.counts[c.index]?.reference, voxelMl)}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr className="font-semibold">
          <th scope="row" className="py-1.5 pr-2 text-left text-slate-200">Mean</th>
          {row(base.meanDice, adapted.meanDice)}
          <td className="py-1.5" />
        </tr>
      </tfoot>
    </table>
  );
}
