import type { StudyJob } from "../../stores/studySlice";

/** The study's progress bar text. */
export function studyProgressText(job: StudyJob, casesDone: number, casesListed: number): string {
  if (job.status === "running") return `Case ${Math.min(job.caseIndex + 1, job.totalCases)} of ${job.totalCases} · ${Math.round(job.fraction * 100)}%`;
  if (job.status === "done") return `${casesDone} cases done`;
  if (job.status === "cancelled") return `Cancelled after ${casesDone} of ${job.totalCases} cases`;
  if (job.status === "reading") return "Reading labels…";
  return casesListed ? `${casesListed} cases ready` : "No cases yet";
}
