/** dcm2niix (WebAssembly) in Node, for the CLI and the tests: the module loads its wasm from beside itself. */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Dcm2niixRun } from "../core/dicom/convert";
import { runDcm2niix, type Dcm2niixFactory } from "./dcm2niix";

/** The package exports only its browser wrapper, so the Emscripten module is found by path. */
function gluePath(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules/@niivue/dcm2niix/dist/dcm2niix.jpeg.js");
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error("@niivue/dcm2niix is not installed (npm install)");
  }
}

let factory: Promise<Dcm2niixFactory> | null = null;

/** Runs dcm2niix in this process; each call gets a fresh module instance. */
export const runDcm2niixNode: Dcm2niixRun = async (inputs) => {
  factory ??= import(pathToFileURL(gluePath()).href).then((m: { default: Dcm2niixFactory }) => m.default);
  return runDcm2niix(await factory, inputs);
};
