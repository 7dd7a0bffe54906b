// Reads one scan file (NIfTI/MGH, gzipped or not) off the page's thread, reporting how far it is:
// a large compressed scan takes seconds to inflate, and the page must stay responsive meanwhile.
import { readVolume } from "../core/io";
import type { ReadRequest, ReadResponse } from "./readClient";

const scope = self as unknown as { postMessage(m: ReadResponse, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<ReadRequest>) => void) | null };

scope.onmessage = (e) => {
  const { bytes, name, frame } = e.data;
  let last = 0;
  try {
    const volume = readVolume(bytes, name, frame, (fraction) => {
      // a few messages, not one per megabyte
      if (fraction === 1 || fraction - last >= 0.05) scope.postMessage({ type: "progress", fraction: (last = fraction) });
    });
    scope.postMessage({ type: "read", volume }, [volume.data.buffer as ArrayBuffer]);
  } catch (err) {
    scope.postMessage({ type: "error", error: err instanceof Error ? { name: err.name, message: err.message } : { name: "Error", message: String(err) } });
  }
};
