import { useEffect, useState } from "react";
import { useApp } from "../../stores/store";
import { filesOfDrop } from "../../components/droppedFiles";
import { formatsSentence } from "../../core/io/formats";
import { openScanFiles } from "./readFile";

const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes("Files");
// The site study takes its own drops (many files, folders); this overlay is the viewer's.
const forViewer = () => useApp.getState().screen === "viewer";

/** Drag a scan file, or a DICOM series' files or folder, anywhere onto the page to open it as the scan. */
export function DropOverlay() {
  const [active, setActive] = useState(false);
  useEffect(() => {
    let depth = 0;
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (!forViewer()) return;
      depth++;
      setActive(true);
    };
    const over = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
    };
    const leave = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setActive(false);
    };
    const drop = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault(); // never let the browser navigate to a dropped file
      depth = 0;
      setActive(false);
      if (!forViewer()) return;
      // a scan file, or DICOM files and folders (walked)
      if (e.dataTransfer) {
        void filesOfDrop(e.dataTransfer).then(openScanFiles, (err: unknown) => useApp.setState({ scanError: `The dropped files could not be read (${err instanceof Error ? err.message : String(err)}).` }));
      }
    };
    window.addEventListener("dragenter", enter);
    window.addEventListener("dragover", over);
    window.addEventListener("dragleave", leave);
    window.addEventListener("drop", drop);
    return () => {
      window.removeEventListener("dragenter", enter);
      window.removeEventListener("dragover", over);
      window.removeEventListener("dragleave", leave);
      window.removeEventListener("drop", drop);
    };
  }, []);
  if (!active) return null;
  return (
    <div className="pointer-events-none fixed inset-0 z-50 flex items-center justify-center bg-slate-950/70 backdrop-blur-sm">
      <div className="rounded-xl border-2 border-dashed border-sky-400 px-10 py-8 text-center">
        <p className="text-lg font-semibold text-sky-200">Drop to open the scan</p>
        <p className="mt-1 text-sm text-slate-300">{formatsSentence("or")}</p>
      </div>
    </div>
  );
}
