import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The checkout's root and its `siteseg` entry point, wherever the checkout lives. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = path.join(ROOT, "bin/siteseg.mjs");

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `siteseg ARGS…` as a user would (a child node process); never rejects, reports the exit code. */
export function siteseg(args: string[], timeout: number): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, timeout, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}
