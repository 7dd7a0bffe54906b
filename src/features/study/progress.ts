import type { StudyJob } from "../../stores/studySlice";

/** The study's progress bar text. */
export function studyProgressText(job: StudyJob, casesDone: number, casesListed: number): string {
  if (job.status === "running") return `Case ${Math.min(job.caseIndex + 1, job.totalCases)} of ${job.totalCases} · ${Math.round(job.fraction * 100)}%`;
  if (job.status === "done") return `${casesDone} cases done`;
  if (job.status === "cancelled") return `Cancelled after ${casesDone} of ${job.totalCases} cases`;
  if (job.status === "reading") return "Reading labels…";
  return casesListed ? `${casesListed} cases ready` : "No cases yet";
}

/** "0:07", "12:34", "1:02:03". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
  const two = (n: number) => String(n).padStart(2, "0");
  return h ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

/**
 * What is left of a running study: the mean time of the cases done times the cases not done,
 * less what the case under way has taken so far (never below 0); null before the first case ends.
 */
export function studyTimeLeft(caseMs: number[], totalCases: number, elapsedMs: number): number | null {
  if (!caseMs.length) return null;
  const spent = caseMs.reduce((a, b) => a + b, 0);
  const current = Math.max(0, elapsedMs - spent);
  return Math.max(0, (spent / caseMs.length) * (totalCases - caseMs.length) - current);
}

/** "Elapsed 1:05 · about 3:20 left", the estimate waiting for the first case. */
export function studyTimeText(caseMs: number[], totalCases: number, elapsedMs: number): string {
  const left = studyTimeLeft(caseMs, totalCases, elapsedMs);
  return `Elapsed ${formatDuration(elapsedMs)} · ${left === null ? "time left known after the first case" : `about ${formatDuration(left)} left`}`;
}
