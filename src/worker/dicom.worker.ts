// The DICOM worker: dcm2niix (WebAssembly, from this origin) converts one series per message.
// The wasm is compiled once per worker; each conversion gets a fresh module instance.
import create from "dcm2niix-wasm/dcm2niix.jpeg.js";
import wasmUrl from "dcm2niix-wasm/dcm2niix.jpeg.wasm?url";
import { runDcm2niix } from "../runtime/dcm2niix";
import type { DicomRequest, DicomResponse } from "./dicomProtocol";

const scope = self as unknown as { postMessage(m: DicomResponse, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<DicomRequest>) => void) | null };
let compiled: Promise<WebAssembly.Module> | null = null;

async function wasm(): Promise<WebAssembly.Module> {
  const res = await fetch(wasmUrl);
  if (!res.ok) throw new Error(`could not load the DICOM converter (${wasmUrl}: HTTP ${res.status})`);
  return WebAssembly.compile(await res.arrayBuffer());
}

scope.onmessage = (e) => {
  const msg = e.data;
  void (async () => {
    try {
      compiled ??= wasm();
      const module = await compiled;
      const output = await runDcm2niix(
        (options) =>
          create({
            ...options,
            // this Emscripten build awaits what the hook returns as the module's exports
            instantiateWasm: (imports, done) => WebAssembly.instantiate(module, imports).then((instance) => done(instance, module)),
          }),
        msg.files,
      );
      scope.postMessage({ type: "converted", id: msg.id, output }, [...new Set(output.files.map((f) => f.bytes.buffer as ArrayBuffer))]);
    } catch (err) {
      compiled = null;
      const error = err instanceof Error ? { name: err.name, message: err.message } : { name: "Error", message: String(err) };
      scope.postMessage({ type: "error", id: msg.id, error });
    }
  })();
};
