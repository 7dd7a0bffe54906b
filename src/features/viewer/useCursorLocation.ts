import { useCallback, useEffect, useRef, useState, type RefObject } from "react";
import { useApp } from "../../stores/store";
import type { NiivueController } from "./niivueController";

type Mm = [number, number, number];

const round = (v: number) => {
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(1) : v.toPrecision(3);
};

/**
 * The cursor readout: what the mouse points at, else the crosshair (voxel, value, class, mm),
 * written to the store's `location`; and the crosshair's voxel inside the scan, for the slice number.
 */
export function useCursorLocation(ctlRef: RefObject<NiivueController | null>) {
  const scan = useApp((s) => s.scan);
  const result = useApp((s) => s.result);
  const manifest = useApp((s) => s.manifest);
  const [voxel, setVoxel] = useState<Mm | null>(null);

  // Latest scan and result for the callbacks, which niivue calls outside React.
  const latest = useRef({ scan, result, manifest });
  useEffect(() => {
    latest.current = { scan, result, manifest };
  }, [scan, result, manifest]);
  const crosshairMm = useRef<Mm | null>(null);
  const hoverMm = useRef<Mm | null>(null);

  const showLocation = useCallback(() => {
    const ctl = ctlRef.current;
    const { scan, result, manifest } = latest.current;
    const mm = hoverMm.current ?? crosshairMm.current;
    if (!ctl || !scan || !mm) return;
    const v = ctl.voxelAt(mm);
    if (!v) return;
    const [nx, ny, nz] = scan.volume.dims;
    const inside = v.every((c, a) => c >= 0 && c < scan.volume.dims[a]);
    let text = `Voxel ${v.join(", ")}`;
    if (inside) {
      const idx = v[0] + nx * (v[1] + ny * v[2]);
      text += ` · value ${round(scan.volume.data[idx])}`;
      const labels = result?.labels;
      if (labels && labels.dims[0] === nx && labels.dims[1] === ny && labels.dims[2] === nz) {
        const cls = labels.data[idx];
        text += ` · ${manifest?.classes[cls]?.name ?? `class ${cls}`}`;
      }
    } else {
      text += " (outside the scan)";
    }
    text += ` · ${mm.map((c) => c.toFixed(1)).join(", ")} mm`;
    useApp.getState().setLocation(text);
  }, [ctlRef]);

  const onLocation = useCallback(
    (mm: Mm) => {
      crosshairMm.current = mm;
      const v = ctlRef.current?.voxelAt(mm) ?? null;
      const scan = latest.current.scan;
      setVoxel(v && scan && v.every((c, a) => c >= 0 && c < scan.volume.dims[a]) ? v : null);
      showLocation();
    },
    [ctlRef, showLocation],
  );

  const onHover = useCallback(
    (mm: Mm | null) => {
      hoverMm.current = mm;
      showLocation();
    },
    [showLocation],
  );

  // A new scan starts with no position; the class under the cursor changes when a mask arrives.
  useEffect(() => {
    crosshairMm.current = null;
    hoverMm.current = null;
    if (!scan) useApp.getState().setLocation("");
  }, [scan]);
  useEffect(() => showLocation(), [result, showLocation]);

  return { voxel, onLocation, onHover };
}
