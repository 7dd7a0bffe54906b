import { useEffect, useMemo, useState } from "react";
import { useApp } from "../../stores/store";
import { studyTimeText } from "./progress";

/** While the study runs: its elapsed time and an estimate of what is left, ticking each second. */
export function StudyTime() {
  const running = useApp((s) => s.studyJob.status === "running");
  const totalCases = useApp((s) => s.studyJob.totalCases);
  const startedAt = useApp((s) => s.studyStartedAt);
  const results = useApp((s) => s.studyResults);
  const caseMs = useMemo(() => results.map((r) => r.ms ?? 0), [results]);
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);
  if (!running || startedAt === null) return null;
  return (
    <p aria-label="Study time" className="text-xs tabular-nums text-slate-400">
      {studyTimeText(caseMs, totalCases, Math.max(0, now - startedAt))}
    </p>
  );
}
