// Reads one scan file (NIfTI/MGH, gzipped or not) off the page's thread, reporting how far it is:
// a large compressed scan takes seconds to inflate, and the page must stay responsive meanwhile.
// Then the file's sha256, here too: hashing 60 MB on the page held it ~50 ms.
import { readVolume } from "../core/io";
import { sha256Hex } from "../core/sha256";
import type { ReadRequest, ReadResponse } from "./readClient";

const scope = self as unknown as { postMessage(m: ReadResponse, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<ReadRequest>) => void) | null };

const failure = (err: unknown) => (err instanceof Error ? { name: err.name, message: err.message } : { name: "Error", message: String(err) });

scope.onmessage = async (e) => {
  const { bytes, name, frame } = e.data;
  let last = 0;
  try {
    const volume = readVolume(bytes, name, frame, (fraction) => {
      // a few messages, not one per megabyte
      if (fraction === 1 || fraction - last >= 0.05) scope.postMessage({ type: "progress", fraction: (last = fraction) });
    });
    scope.postMessage({ type: "read", volume }, [volume.data.buffer as ArrayBuffer]);
  } catch (err) {
    return scope.postMessage({ type: "error", error: failure(err) });
  }
  try {
    scope.postMessage({ type: "hash", sha256: await sha256Hex(bytes) });
  } catch {
    scope.postMessage({ type: "hash", sha256: null });
  }
};
