import { AdapterError } from "../core/adapters";
import { ManifestError } from "../core/manifest/schema";
import { ReferenceMismatchError } from "../core/metrics/evaluate";
import { CancelledError } from "../core/pipeline/runner";
import { StudyError } from "../core/study/types";
import { AdaptError } from "../core/adapt/data";
import { VolumeError } from "../core/volume/types";

/** Bad command line: exit code 2, with a hint to --help. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A failure the user can act on (bad file, wrong reference): exit code 1, message only. */
export class RuntimeError extends Error {
  override name = "RuntimeError";
}

const KNOWN = [RuntimeError, AdapterError, VolumeError, ManifestError, ReferenceMismatchError, CancelledError, StudyError, AdaptError];

/** Node's fs errors carry a code; their messages repeat the syscall, so say it plainly instead. */
export function describeFsError(e: unknown, action: string): RuntimeError | null {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== "string") return null;
  const reason: Record<string, string> = {
    ENOENT: "no such file or directory",
    EACCES: "permission denied",
    EISDIR: "it is a directory",
    ENOTDIR: "a parent is not a directory",
    ENOSPC: "no space left on the disk",
    EFBIG: "the file is larger than this disk or process allows",
    EROFS: "the disk is read-only",
  };
  return new RuntimeError(`cannot ${action}: ${reason[code] ?? (e as Error).message}`);
}

/** Exit code and the one line to print; null message means an unexpected bug (print the stack). */
export function classify(e: unknown): { code: number; message: string; known: boolean } {
  if (e instanceof UsageError) return { code: 2, message: e.message, known: true };
  if (KNOWN.some((K) => e instanceof K)) return { code: 1, message: (e as Error).message, known: true };
  const fs = describeFsError(e, "access a file");
  if (fs) return { code: 1, message: fs.message, known: true };
  return { code: 1, message: e instanceof Error ? e.message : String(e), known: false };
}
