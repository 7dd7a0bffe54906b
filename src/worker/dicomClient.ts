import type { Dcm2niixRun } from "../core/dicom";
import type { DicomRequest, DicomResponse } from "./dicomProtocol";

/**
 * Runs dcm2niix in a worker of its own, started for the conversion and ended after it, so the
 * converter's memory (the series and its WebAssembly heap) goes with it. The inputs' buffers are
 * transferred: the caller must not use them afterwards.
 */
export const convertInWorker: Dcm2niixRun = (files) =>
  new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./dicom.worker.ts", import.meta.url), { type: "module" });
    const done = () => worker.terminate();
    worker.onmessage = (e: MessageEvent<DicomResponse>) => {
      done();
      const msg = e.data;
      if (msg.type === "converted") resolve(msg.output);
      else reject(Object.assign(new Error(msg.error.message), { name: msg.error.name }));
    };
    worker.onerror = (e) => {
      done();
      reject(new Error(`the DICOM converter stopped (${e.message || "worker error"})`));
    };
    const request: DicomRequest = { type: "convert", id: 1, files };
    worker.postMessage(request, [...new Set(files.map((f) => f.bytes.buffer as ArrayBuffer))]);
  });
