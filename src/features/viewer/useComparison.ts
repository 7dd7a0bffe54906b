import { useMemo } from "react";
import { disagreement } from "../../core/metrics/compare";
import { resultKey } from "../../stores/jobSlice";
import { useApp } from "../../stores/store";

/** The compare view's two results (base, base + adapter) once both exist, and where they disagree. */
export function useComparison() {
  const compare = useApp((s) => s.compare);
  const base = useApp((s) => (s.compare ? s.results[resultKey(null)] : undefined));
  const adapted = useApp((s) => (s.compare ? s.results[resultKey(s.compare.adapter)] : undefined));
  const diff = useMemo(() => (base && adapted ? disagreement(base.labels, adapted.labels) : null), [base, adapted]);
  return compare && base && adapted && diff ? { adapter: compare.adapter, base, adapted, diff } : null;
}
