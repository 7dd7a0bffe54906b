import { useApp } from "../../stores/store";

export const SCAN_ACCEPT = ".nii,.nii.gz,.mgh,.mgz";

/** Reads a user's file and hands its bytes to the store; read failures become a scan error. */
export async function openScanFile(file: File): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch (e) {
    useApp.setState({ scanError: `${file.name}: the browser could not read this file (${e instanceof Error ? e.message : String(e)}).` });
    return;
  }
  useApp.getState().openScan(file.name, bytes);
}
