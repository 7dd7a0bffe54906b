import { readVolume, type ReadVolumeRun } from "../core/io";
import type { Volume } from "../core/volume/types";

export type ReadRequest = { bytes: Uint8Array; name: string; frame: number };
export type ReadResponse = { type: "progress"; fraction: number } | { type: "read"; volume: Volume } | { type: "error"; error: { name: string; message: string } };

/**
 * Reads a scan file in a worker of its own, ended after it, so a large file never freezes the
 * page. The bytes are copied to the worker: the caller keeps them (the file's hash, a 4D file's
 * other volumes). Where there is no Worker (unit tests), reads in-process.
 */
export const readInWorker: ReadVolumeRun = (bytes, name, frame, onProgress) => {
  if (typeof Worker === "undefined") return Promise.resolve().then(() => readVolume(bytes, name, frame, onProgress));
  return new Promise<Volume>((resolve, reject) => {
    const worker = new Worker(new URL("./read.worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (e: MessageEvent<ReadResponse>) => {
      const msg = e.data;
      if (msg.type === "progress") return onProgress?.(msg.fraction);
      worker.terminate();
      if (msg.type === "read") resolve(msg.volume);
      else reject(Object.assign(new Error(msg.error.message), { name: msg.error.name }));
    };
    worker.onerror = (e) => {
      worker.terminate();
      reject(new Error(`${name}: the file could not be read (${e.message || "the reader stopped"}); the browser may be out of memory`));
    };
    const request: ReadRequest = { bytes, name, frame };
    worker.postMessage(request);
  });
};
