/**
 * The file formats siteseg reads: the one table every reader, file picker, pairing rule and help
 * text is derived from, so a format is added or renamed here and nowhere else.
 */

/** The formats read into a volume by a reader of this folder (readVolume picks it by content, then by extension). */
export type VolumeFormatId = "nifti" | "mgh";

export interface FileFormat {
  id: VolumeFormatId | "dicom";
  /** As users know it. */
  name: string;
  /** Lower case, with the dot; ".nii.gz" is one extension. */
  extensions: readonly string[];
  /** A volume in one file, or a DICOM series (many files of any name, converted by dcm2niix). */
  kind: "volume" | "dicom";
  /** Whether a reference label or mask may be given in it (DICOM: scans only). */
  label: boolean;
  /** What it is, for users (help texts). */
  description: string;
}

export const FORMATS: readonly FileFormat[] = [
  { id: "nifti", name: "NIfTI", extensions: [".nii", ".nii.gz"], kind: "volume", label: true, description: "NIfTI-1 or NIfTI-2, gzipped or not" },
  { id: "mgh", name: "FreeSurfer MGH", extensions: [".mgh", ".mgz"], kind: "volume", label: true, description: "FreeSurfer's volumes (.mgz is gzipped)" },
  {
    id: "dicom",
    name: "DICOM series",
    extensions: [".dcm", ".ima", ".dicom"], // any name is read (by its "DICM" marker): these only guide file pickers
    kind: "dicom",
    label: false,
    description: "one series, files of any name, converted to NIfTI by dcm2niix",
  },
];

/** The formats a reader reads as one file (NIfTI, MGH). */
export const VOLUME_FORMATS = FORMATS.filter((f) => f.kind === "volume");
/** The formats a reference label may be in. */
export const LABEL_FORMATS = FORMATS.filter((f) => f.label);

const extensionsOf = (formats: readonly FileFormat[]) => formats.flatMap((f) => f.extensions);
/** A file input's accept attribute for these formats. */
const acceptOf = (formats: readonly FileFormat[]) => extensionsOf(formats).join(",");

/** Open scan's picker: a volume, or DICOM files. */
export const SCAN_ACCEPT = acceptOf(FORMATS);
/** Pickers of volume files only (a study's scans and labels). */
export const VOLUME_ACCEPT = acceptOf(VOLUME_FORMATS);
/** Pickers of a reference label. */
export const LABEL_ACCEPT = acceptOf(LABEL_FORMATS);
/** The volume extensions, as a refusal lists them (".nii, .nii.gz, .mgh, .mgz"). */
export const ACCEPTED_FORMATS = extensionsOf(VOLUME_FORMATS).join(", ");

/** Every extension with its format, the longest first: ".nii.gz" is tried before any shorter ending. */
const BY_EXTENSION = FORMATS.flatMap((format) => format.extensions.map((ext) => ({ ext, format }))).sort((a, b) => b.ext.length - a.ext.length);
const extensionOf = (name: string) => BY_EXTENSION.find((e) => name.toLowerCase().endsWith(e.ext)) ?? null;

/** The format `name`'s extension names (case-insensitive), or null. */
export const formatOfName = (name: string): FileFormat | null => extensionOf(name)?.format ?? null;

/** The volume format `name`'s extension names, or null (DICOM and other files). */
export function volumeFormatOfName(name: string): VolumeFormatId | null {
  const format = formatOfName(name);
  return format?.kind === "volume" ? (format.id as VolumeFormatId) : null;
}

/** The name without its volume extension ("sub-01_T1w.nii.gz" -> "sub-01_T1w"); other names as they are. */
export function stripVolumeExtension(name: string): string {
  const e = extensionOf(name);
  return e?.format.kind === "volume" ? name.slice(0, name.length - e.ext.length) : name;
}

/** A format as a sentence names it: "NIfTI (.nii, .nii.gz)"; a DICOM series by its files or folder. */
const named = (f: FileFormat) => `${f.name} (${f.kind === "dicom" ? "its files or its folder" : f.extensions.join(", ")})`;

/**
 * The formats for a sentence: "NIfTI (.nii, .nii.gz), FreeSurfer MGH (.mgh, .mgz) and DICOM series
 * (its files or its folder)"; `joiner` "or" for a choice.
 */
export function formatsSentence(joiner: "and" | "or" = "and", formats: readonly FileFormat[] = FORMATS): string {
  const names = formats.map(named);
  return names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} ${joiner} ${names[names.length - 1]}`;
}
