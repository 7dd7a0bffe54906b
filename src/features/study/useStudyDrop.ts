import { useState, type ChangeEvent, type DragEvent } from "react";
import { useApp } from "../../stores/store";
import { droppedFiles, studyPaths } from "./files";

/** Files and folders picked or dropped onto the study join its cases; `dragging` while something is held over it. */
export function useStudyDrop() {
  const [dragging, setDragging] = useState(false);
  const { addStudyFiles } = useApp.getState();
  const addPicked = async (e: ChangeEvent<HTMLInputElement>) => {
    const files = [...(e.target.files ?? [])];
    e.target.value = "";
    if (!files.length) return;
    const picked = studyPaths(files.map((f) => ({ relative: f.webkitRelativePath || f.name, file: f })));
    await addStudyFiles(picked.files, picked.rootName);
  };
  const onDrop = async (e: DragEvent<HTMLElement>) => {
    e.preventDefault(); // the page's scan drop leaves this one alone
    setDragging(false);
    const picked = studyPaths(await droppedFiles(e.dataTransfer.items));
    if (picked.files.length) await addStudyFiles(picked.files, picked.rootName);
  };
  const dropZone = {
    onDragOver: (e: DragEvent<HTMLElement>) => {
      e.preventDefault();
      setDragging(true);
    },
    onDragLeave: () => setDragging(false),
    onDrop: (e: DragEvent<HTMLElement>) => void onDrop(e),
  };
  return { dragging, dropZone, addPicked };
}
