import { readVolume, type ReadVolumeRun } from "../core/io";
import { sha256Hex } from "../core/sha256";
import type { Volume } from "../core/volume/types";

export type ReadRequest = { bytes: Uint8Array; name: string; frame: number };
export type ReadResponse =
  | { type: "progress"; fraction: number }
  | { type: "read"; volume: Volume }
  | { type: "hash"; sha256: string | null }
  | { type: "error"; error: { name: string; message: string } };

/**
 * Reads a scan file in a worker of its own, ended after it, so a large file never freezes the
 * page; the worker then hashes the file, and the volume is not kept waiting for that. The bytes
 * are copied to the worker: the caller keeps them (a 4D file's other volumes). Where there is no
 * Worker (unit tests), reads in-process.
 */
export const readInWorker: ReadVolumeRun = (bytes, name, frame, onProgress) => {
  if (typeof Worker === "undefined") return Promise.resolve().then(() => ({ volume: readVolume(bytes, name, frame, onProgress), sha256: sha256Hex(bytes) }));
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./read.worker.ts", import.meta.url), { type: "module" });
    let hashed: (sha256: string) => void = () => undefined;
    const sha256 = new Promise<string>((ok) => (hashed = ok));
    worker.onmessage = (e: MessageEvent<ReadResponse>) => {
      const msg = e.data;
      if (msg.type === "progress") return onProgress?.(msg.fraction);
      if (msg.type === "read") return resolve({ volume: msg.volume, sha256 });
      worker.terminate();
      if (msg.type === "hash") hashed(msg.sha256 ?? "unavailable");
      else reject(Object.assign(new Error(msg.error.message), { name: msg.error.name }));
    };
    worker.onerror = (e) => {
      worker.terminate();
      hashed("unavailable");
      reject(new Error(`${name}: the file could not be read (${e.message || "the reader stopped"}); the browser may be out of memory`));
    };
    const request: ReadRequest = { bytes, name, frame };
    worker.postMessage(request);
  });
};
