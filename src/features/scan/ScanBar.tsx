import { Alert } from "../../components/Alert";
import { FileButton } from "../../components/FileButton";
import { formatsSentence, SCAN_ACCEPT } from "../../core/io/formats";
import { voxelSizes } from "../../core/volume/affine";
import { orientationCode } from "../../core/volume/grid";
import { useApp } from "../../stores/store";
import { openScanFiles } from "./readFile";
import { SampleMenu } from "./SampleMenu";
import { SeriesPicker } from "./SeriesPicker";

const fmt = (n: number) => (Math.abs(n - Math.round(n)) < 0.005 ? String(Math.round(n)) : n.toFixed(2));

/** "Open scan" and what is loaded: name, grid, spacing, orientation. */
export function ScanBar() {
  const scan = useApp((s) => s.scan);
  const chooseFrame = useApp((s) => s.chooseFrame);
  const busy = useApp((s) => s.scanBusy);
  // a row of its own, whatever it holds: the header keeps its height and the view does not resize (a redraw) as a scan opens
  return (
    <div className="flex min-w-0 basis-full flex-wrap items-center gap-3">
      <FileButton label="Open scan" accept={SCAN_ACCEPT} onFiles={(files) => void openScanFiles(files)} multiple primary title={`A scan: ${formatsSentence("or")}`} />
      <FileButton label="Open folder" onFiles={(files) => void openScanFiles(files)} directory title="A folder of DICOM files (all series in it are listed)" />
      <SampleMenu />
      <SeriesPicker />
      {busy ? (
        <p role="status" className="flex items-center gap-2 text-sm text-sky-200">
          <span aria-hidden className="inline-block h-3 w-3 animate-spin rounded-full border-2 border-sky-300 border-t-transparent" />
          {busy}
        </p>
      ) : scan ? (
        <p className="flex min-w-0 flex-wrap items-baseline gap-x-3 gap-y-0.5 text-sm">
          {scan.sample && (
            <span aria-label="Sample site" className="flex items-center gap-1.5 text-xs text-slate-300">
              Sample: {scan.sample.name}
              {scan.sample.synthetic && <span className="rounded bg-violet-500/20 px-1.5 text-[10px] font-semibold uppercase tracking-wide text-violet-300">synthetic</span>}
            </span>
          )}
          <span className="truncate font-medium text-slate-100" title={scan.name}>
            {scan.name}
          </span>
          {scan.dicom && (
            <span aria-label="DICOM series" className="rounded bg-slate-800 px-1.5 text-[11px] text-slate-300" title={`Converted from DICOM by dcm2niix: ${scan.dicom.orientation}`}>
              DICOM{scan.dicom.number !== null ? ` #${scan.dicom.number}` : ""} · {scan.dicom.images} images
            </span>
          )}
          {(scan.volume.frames ?? 1) > 1 && (
            <label className="flex items-center gap-1 text-xs text-amber-200">
              Volume
              <select
                aria-label="Volume of the 4D file"
                value={scan.volume.frame ?? 0}
                onChange={(e) => chooseFrame(Number(e.target.value))}
                className="rounded border border-slate-700 bg-slate-800 px-1 py-0.5 text-slate-100"
              >
                {Array.from({ length: scan.volume.frames! }, (_, i) => (
                  <option key={i} value={i}>
                    {i + 1} of {scan.volume.frames}
                  </option>
                ))}
              </select>
            </label>
          )}
          <span className="text-xs tabular-nums text-slate-400">
            {scan.volume.dims.join(" × ")} voxels · {voxelSizes(scan.volume.affine).map(fmt).join(" × ")} mm · {orientationCode(scan.volume.affine)}
          </span>
        </p>
      ) : (
        <p className="text-sm text-slate-400">No scan loaded — drop a scan file, or a DICOM series' files or folder, anywhere; use Open scan, or try a built-in sample.</p>
      )}
    </div>
  );
}

/** The store's scan error, with what to do about it; the loaded scan stays. */
export function ScanError() {
  const scanError = useApp((s) => s.scanError);
  const hasScan = useApp((s) => s.scan !== null);
  const dismiss = useApp((s) => s.dismissScanError);
  if (!scanError) return null;
  return (
    <Alert title="The scan could not be opened" onDismiss={dismiss}>
      <p>{scanError}</p>
      <p className="mt-1 text-red-200/80">
        Choose a brain MRI, {formatsSentence("or")}, and open it again.
        {hasScan ? " The scan that was already open is still shown." : ""}
      </p>
    </Alert>
  );
}
