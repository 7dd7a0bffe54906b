import { useApp } from "../../stores/store";

/**
 * Reads the user's files and hands their bytes to the store: one NIfTI/MGH scan, or the files of
 * one or more DICOM series (`relative` is the path within a dropped or chosen folder). A file the
 * browser cannot read becomes a scan error.
 */
export async function openScanFiles(files: readonly (File | { relative: string; file: File })[]): Promise<void> {
  let inputs: { name: string; bytes: Uint8Array }[];
  try {
    inputs = await Promise.all(
      files.map(async (f) => {
        const file = f instanceof File ? f : f.file;
        const name = f instanceof File ? f.webkitRelativePath || f.name : f.relative.replace(/^\/+/, "");
        try {
          return { name, bytes: new Uint8Array(await file.arrayBuffer()) };
        } catch (e) {
          throw new Error(`${name}: the browser could not read this file (${e instanceof Error ? e.message : String(e)}).`);
        }
      }),
    );
  } catch (e) {
    useApp.setState({ scanError: (e as Error).message });
    return;
  }
  await useApp.getState().openScanFiles(inputs);
}

/** One file, as before (Open scan with a single file). */
export const openScanFile = (file: File) => openScanFiles([file]);
