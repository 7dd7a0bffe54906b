/**
 * Drives the WebAssembly build of dcm2niix (@niivue/dcm2niix's Emscripten module) over files in
 * memory: the same code in the browser's DICOM worker and in Node (CLI, tests). Only how the
 * module is loaded differs, passed in by the entry point.
 */
import { DCM2NIIX_ARGS, type Dcm2niixOutput } from "../core/dicom/convert";
import type { DicomInput } from "../core/dicom/series";

/** The parts of the Emscripten module used here. */
export interface Dcm2niixModule {
  FS: {
    mkdir(path: string): void;
    writeFile(path: string, data: Uint8Array): void;
    readFile(path: string): Uint8Array;
    readdir(path: string): string[];
  };
  callMain(args: string[]): number;
}

export interface Dcm2niixModuleOptions {
  print: (line: string) => void;
  printErr: (line: string) => void;
  locateFile?: (path: string, prefix: string) => string;
  /** Instantiates the wasm itself (a module compiled once); returns the exports `done` gives, or a promise of them. */
  instantiateWasm?: (imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance, module: WebAssembly.Module) => WebAssembly.Exports) => WebAssembly.Exports | Promise<WebAssembly.Exports>;
}

/** The Emscripten factory (the default export of dcm2niix.jpeg.js). */
export type Dcm2niixFactory = (options: Dcm2niixModuleOptions) => Promise<Dcm2niixModule>;

/**
 * Converts `inputs` with a fresh module instance (dcm2niix keeps state in C globals, so one run
 * per instance). Files go flat into /in under unique names (their folders mean nothing to
 * dcm2niix); every file written to /out comes back.
 */
export async function runDcm2niix(create: (options: Dcm2niixModuleOptions) => Promise<Dcm2niixModule>, inputs: DicomInput[]): Promise<Dcm2niixOutput> {
  const log: string[] = [];
  const names = new Map<string, string>();
  // its messages name files by their path in /in: say the user's names instead
  const add = (line: string) => void log.push(line.replace(/\/in\/[\w.-]+/g, (p) => names.get(p) ?? p));
  const mod = await create({ print: add, printErr: add });
  mod.FS.mkdir("/in");
  mod.FS.mkdir("/out");
  inputs.forEach((f, n) => {
    const base = f.name.split("/").pop()!.replace(/[^\w.-]+/g, "_") || "file";
    const path = `/in/${String(n).padStart(6, "0")}_${base}`;
    names.set(path, f.name);
    mod.FS.writeFile(path, f.bytes);
  });
  let exitCode: number;
  try {
    exitCode = mod.callMain([...DCM2NIIX_ARGS, "-o", "/out", "/in"]);
  } catch (e) {
    // an abort inside the module (out of memory, a crash in a decoder)
    log.push(`Error: ${e instanceof Error ? e.message : String(e)}`);
    exitCode = 1;
  }
  const files = mod.FS.readdir("/out")
    .filter((n) => !n.startsWith("."))
    .map((name) => ({ name, bytes: mod.FS.readFile(`/out/${name}`) }));
  return { files, log, exitCode };
}
