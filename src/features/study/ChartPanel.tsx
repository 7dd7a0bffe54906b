import { Button } from "../../components/Button";
import { download } from "../../components/download";
import { useApp } from "../../stores/store";
import { StudyChart, studyPngBlob, studySvgText, TRAINED_ON_NOTE } from "./StudyChart";
import { useSiteLabel, useStudyExport, useTrainedOn } from "./useStudyState";

/** Per-case Dice by site, base beside the site's adapter; PNG and SVG exports. */
export function ChartPanel() {
  const results = useApp((s) => s.studyResults);
  const { siteLabel } = useSiteLabel();
  const trainedOn = useTrainedOn();
  const exports = useStudyExport();
  if (!results.some((r) => r.base)) return null;
  return (
    <div className="space-y-2 rounded-lg border border-slate-800 bg-slate-900/70 p-3">
      <div className="flex flex-wrap items-center gap-2">
        <h3 className="mr-auto text-xs font-semibold uppercase tracking-wider text-slate-400">Per-case Dice by site</h3>
        <span className="flex items-center gap-3 text-xs text-slate-400">
          <span className="flex items-center gap-1">
            <span className="inline-block h-2.5 w-2.5 rounded-full bg-slate-400" /> base
          </span>
          <span className="flex items-center gap-1">
            <span className="inline-block h-2.5 w-2.5 rounded-full bg-fuchsia-400" /> + site adapter
          </span>
        </span>
        <Button disabled={exports.disabled} title={exports.title} onClick={() => void studyPngBlob(studySvgText(results, exports.chartTitle, siteLabel)).then((b) => download(`siteseg-study-${exports.stamp}.png`, b))}>Save PNG</Button>
        <Button disabled={exports.disabled} title={exports.title} onClick={() => download(`siteseg-study-${exports.stamp}.svg`, new Blob([studySvgText(results, exports.chartTitle, siteLabel)], { type: "image/svg+xml" }))}>Save SVG</Button>
      </div>
      <StudyChart results={results} siteLabel={siteLabel} />
      {trainedOn.size > 0 && (
        <p className="text-xs text-slate-400">{TRAINED_ON_NOTE}</p>
      )}
    </div>
  );
}
