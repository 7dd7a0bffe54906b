import { Alert } from "../../components/Alert";
import { useApp } from "../../stores/store";
import { cleanupSummary, seconds } from "./segmentationStatus";

/** What made the shown mask: model, adapter, backend, time, passes; what was skipped; what to check. */
export function ResultProvenance() {
  const result = useApp((s) => s.result);
  const manifest = useApp((s) => s.manifest);
  if (!result) return null;
  const passIds = result.options.filter((id) => manifest?.inference.options.find((o) => o.id === id)?.kind !== "cleanup");
  return (
    <div role="group" aria-label="Segmentation result" data-session-id={result.sessionId}>
      <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 rounded-md border border-slate-800 bg-slate-950/50 p-2.5 text-xs">
        <dt className="text-slate-500">Model</dt>
        <dd className="text-slate-200">
          {result.modelName} {result.modelVersion}
        </dd>
        <dt className="text-slate-500">Adapter</dt>
        <dd className="text-slate-200" aria-label="Result adapter">
          {result.selfAdapted
            ? `adapted to this scan, no labels (${result.selfAdapted.steps} steps on slices ${result.selfAdapted.slices.join(", ")}; ${seconds(result.selfAdapted.ms.training)})`
            : (result.adapter ?? "none (base)")}
        </dd>
        <dt className="text-slate-500">Backend</dt>
        <dd className="text-slate-200">{result.backend}</dd>
        <dt className="text-slate-500">Time</dt>
        <dd className="tabular-nums text-slate-200">
          {seconds(result.ms.total)} ({result.slices} slices; inference {seconds(result.ms.inference)})
        </dd>
        <dt className="text-slate-500">Passes</dt>
        <dd className="text-slate-200" aria-label="Result passes">
          {result.passes === 1 ? "1 (no extra passes)" : `${result.passes}: plain${passIds.map((id) => ` + ${manifest?.inference.options.find((o) => o.id === id)?.label.replace(/^Also /, "").toLowerCase() ?? id}`).join("")}`}
        </dd>
        <dt className="text-slate-500">Cleanup</dt>
        <dd className="text-slate-200" aria-label="Result cleanup">
          {result.cleanup ? cleanupSummary(result.cleanup) : "off (the model's mask as it came)"}
        </dd>
      </dl>
      {result.skipped.map((note) => (
        <p key={note} className="mt-1 text-xs text-slate-400" aria-label="Option skipped">
          {note}
        </p>
      ))}
      {result.warnings.length > 0 && (
        <div className="mt-2">
          <Alert tone="warning" title="Check this mask">
            {result.warnings.map((w) => (
              <p key={w}>{w}</p>
            ))}
          </Alert>
        </div>
      )}
    </div>
  );
}
