import { useState } from "react";
import { Button } from "../../components/Button";
import { download } from "../../components/download";
import type { ModelSource } from "../../core/manifest";
import { passOptions } from "../../core/pipeline/segment";
import { DATA_EFFICIENCY_FILE, parseDataEfficiency, reportIdentities, scoredClasses, studyJson, studyModel, studyReportHtml, type ReportInfo } from "../../core/study";
import { modelFileReader } from "../../runtime/model-source";
import { useApp } from "../../stores/store";

/**
 * The model folder's data-efficiency table, fetched like its manifest: null when the folder has
 * none (a missing file, or the page's own HTML where a server answers every path with it); the
 * reason when it is there but not a table of that shape.
 */
async function modelEfficiency(source: ModelSource | undefined): Promise<ReportInfo["efficiency"]> {
  if (!source) return null;
  let text: string;
  try {
    text = new TextDecoder().decode(await modelFileReader(source)(DATA_EFFICIENCY_FILE));
  } catch {
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  try {
    return parseDataEfficiency(json);
  } catch (e) {
    return (e as Error).message;
  }
}

/** "Export report (HTML)": the study as one self-contained HTML file, made by the function `siteseg study --report` uses (the same bytes from the same study and info). */
export function ReportButton() {
  const results = useApp((s) => s.studyResults);
  const running = useApp((s) => s.studyJob.status === "running");
  const manifest = useApp((s) => s.manifest);
  const [busy, setBusy] = useState(false);

  const save = async () => {
    const { samples, models, loadedModelId, modelId, backend, activeOptions } = useApp.getState();
    if (!manifest) return;
    setBusy(true);
    try {
      const source = models.find((m) => m.id === (loadedModelId ?? modelId))?.source;
      const doc = studyJson(studyModel(manifest), scoredClasses(manifest), results);
      const html = studyReportHtml(doc, {
        date: new Date().toISOString(),
        ...reportIdentities(manifest),
        options: passOptions(manifest, activeOptions()),
        ...(backend ? { runtime: `onnxruntime-web in the browser, ${backend}` } : {}),
        synthetic: samples.filter((s) => s.synthetic).map((s) => s.id),
        efficiency: await modelEfficiency(source),
        generator: "siteseg app (Site study)",
      });
      download(`siteseg-study-report-${doc.model.id}-${new Date().toISOString().slice(0, 10)}.html`, new Blob([html], { type: "text/html" }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Button disabled={!results.length || running || busy || !manifest} onClick={() => void save()} title="One HTML file for people: a sentence per site, the table, charts, identities and timings; opens offline and prints to PDF">
      Export report (HTML)
    </Button>
  );
}
