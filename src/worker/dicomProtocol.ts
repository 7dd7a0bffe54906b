// Messages between the UI and the DICOM worker (dcm2niix, WebAssembly): plain data, buffers transferred.
import type { Dcm2niixOutput, DicomInput } from "../core/dicom";

export type DicomRequest = { type: "convert"; id: number; files: DicomInput[] };

export type DicomResponse = { type: "converted"; id: number; output: Dcm2niixOutput } | { type: "error"; id: number; error: { name: string; message: string } };
