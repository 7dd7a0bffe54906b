// What React drives the viewer through: plain methods, each change to the scene run through one
// promise queue, so a new scan, a mask and a jump always apply in the order they were asked for.
// The parts, one concern each, are in ./niivue/: boundary.ts (the only niivue access), the scan's
// steps here, maskLayer.ts, obliqueOverlays.ts, navigation.ts, painting.ts, hover.ts, keys.ts.
import type { Volume } from "../../core/volume/types";
import type { ViewMode } from "../../stores/viewSlice";
import { displayRangeSteps } from "./niivue/displayRange";
import { type Layer, NiivueBoundary } from "./niivue/boundary";
import { HoverReadout } from "./niivue/hover";
import { swallowNiivueKeys } from "./niivue/keys";
import { MaskLayer, type MaskClass } from "./niivue/maskLayer";
import { Navigation } from "./niivue/navigation";
import { PaintCapture, type Painter } from "./niivue/painting";
import { copySteps, nextTask, runSteps } from "./niivue/steps";

export type { MaskClass } from "./niivue/maskLayer";

export interface ControllerEvents {
  /** The crosshair moved: world millimetres of its position. */
  onLocation: (mm: [number, number, number]) => void;
  /** The mouse points at world mm on a 2D slice, or at nothing (null). */
  onHover: (mm: [number, number, number] | null) => void;
  /** The scan's display range changed (inputs or right-drag). */
  onWindow: (min: number, max: number) => void;
  /** Something the viewer could not do, in words for the user (null: taken down). */
  onError: (message: string | null) => void;
  /** How the viewer draws when not the usual way (niivue's plain path), in words for the user: shown until an error takes its place. */
  onNotice: (message: string) => void;
  /** What niivue is drawing now that may hold the page (a scan's first drawing), or null when done. */
  onDrawing: (what: string | null) => void;
}

/** After the page has painted what it has (a notice) : the next frame, then a task. */
const nextPaint = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

const describe = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class NiivueController {
  private nv: NiivueBoundary;
  private queue: Promise<unknown>;
  private scan: Layer | null = null;
  private mask: MaskLayer;
  private nav: Navigation;
  private painting: PaintCapture;
  private hover: HoverReadout;
  private releaseKeys: () => void;
  private diffKey: object | null = null;
  private scanKey: object | null = null;
  private maskKey: object | null = null;
  private disposed = false;
  private canvas: HTMLCanvasElement;
  /** Pending disposal, cancelled when React mounts the same viewer again (StrictMode). */
  disposeTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(canvas: HTMLCanvasElement, private events: ControllerEvents) {
    this.canvas = canvas;
    // the parent's capture listeners run before niivue's own canvas listeners
    const host = canvas.parentElement ?? canvas;
    this.nv = new NiivueBoundary(canvas, {
      onLocation: (mm) => this.events.onLocation(mm),
      onWindow: (layer) => {
        if (layer === this.scan) this.reportWindow();
      },
    });
    const mmAt = (x: number, y: number) => (this.scan ? this.nv.mmAtClient(x, y) : null);
    this.painting = new PaintCapture(host, canvas, mmAt);
    this.releaseKeys = swallowNiivueKeys(host, canvas);
    this.hover = new HoverReadout(canvas, mmAt, (mm) => this.events.onHover(mm), () => !!this.scan && !this.disposed);
    this.mask = new MaskLayer(this.nv);
    this.nav = new Navigation(this.nv);
    this.queue = this.nv.ready.then(
      () => {
        if (this.nv.notice) this.events.onNotice(this.nv.notice);
      },
      (e: unknown) => {
        this.events.onError(`The viewer needs WebGL2, which this browser did not provide (${describe(e)}). Try an up-to-date Chrome, Edge or Firefox with hardware acceleration on.`);
        throw e;
      },
    );
  }

  private run(step: () => Promise<void> | void): Promise<void> {
    const next = this.queue.catch(() => undefined).then(async () => {
      if (!this.disposed) await step();
    });
    this.queue = next;
    return next;
  }

  /** An error was reported since the last success: the next success takes it down. */
  private errorShown = false;

  private error(message: string) {
    this.errorShown = true;
    this.events.onError(message);
  }

  /** Take down a reported error, leaving the plain-path notice (if any) in its place. */
  private clearError() {
    if (this.errorShown) {
      if (this.nv.notice) this.events.onNotice(this.nv.notice);
      else this.events.onError(null);
    }
    this.errorShown = false;
  }

  private reportWindow() {
    if (this.scan) this.events.onWindow(...this.nv.window(this.scan));
  }

  /** Show a scan (the project's volume: its voxels, its affine); drops the mask and everything else. */
  setScan(key: object | null, volume: Volume | null, name: string): Promise<void> {
    if (key === this.scanKey) return this.queue.then(() => undefined, () => undefined);
    this.scanKey = key;
    this.maskKey = null;
    return this.run(async () => {
      this.nv.clear();
      this.scan = null;
      this.mask.setScan(null);
      this.diffKey = null;
      this.nav.setAffine(volume?.affine ?? null);
      if (!volume || key !== this.scanKey) return;
      // a large scan takes a second or two to prepare in steps under software WebGL: the notice is
      // painted first, so the page says what it is doing
      this.events.onDrawing(`Drawing ${name}…`);
      await nextPaint();
      if (key !== this.scanKey || this.disposed) return this.events.onDrawing(null);
      const current = () => key === this.scanKey && !this.disposed;
      try {
        // what niivue would do in one go as it takes the scan (copy the voxels, find the window,
        // upload them: 180 + 195 ms for a 98 MB scan under software WebGL), done ahead in steps
        const voxels = await runSteps(copySteps(volume.data), current);
        const range = voxels && (await runSteps(displayRangeSteps(volume.data, volume.dims), current));
        if (!voxels || !range) return;
        const img = await this.nv.scanImage(volume, name, { voxels, range });
        const staging = this.nv.stageSteps(img);
        if (staging && (await runSteps(staging, current)) === null) return;
        await nextTask();
        if (!current()) return;
        const layout = this.nv.showScan(img, volume.affine);
        this.scan = img;
        this.mask.setScan({ dims: volume.dims, affine: volume.affine, layout });
        this.clearError();
        this.reportWindow();
        if (!this.nav.startOnVoxel()) this.nv.drawScene();
      } catch (e) {
        this.error(`The scan was read, but the viewer could not display it: ${describe(e)}`);
      } finally {
        this.events.onDrawing(null);
      }
    });
  }

  /** Show (or remove, with null) the voxels where two masks disagree: the shown mask's classes, outlined. */
  setDisagreement(key: object | null, diff: Volume | null): Promise<void> {
    if (key === this.diffKey) return this.queue.then(() => undefined, () => undefined);
    this.diffKey = key;
    return this.run(async () => {
      if (key !== this.diffKey) return;
      this.mask.setDisagreement(diff?.data ?? null);
      try {
        await this.mask.showNew(() => key === this.diffKey && !this.disposed);
      } catch (e) {
        this.error(`The disagreement overlay could not be shown: ${describe(e)}`);
      }
    });
  }

  /** Show (or replace, or remove with null) the segmentation mask over the scan. */
  setMask(key: object | null, labels: Volume | null, classes: MaskClass[]): Promise<void> {
    if (key === this.maskKey) return this.queue.then(() => undefined, () => undefined);
    this.maskKey = key;
    return this.run(async () => {
      if (key !== this.maskKey) return;
      this.mask.setLabels(labels?.data ?? null, classes);
      try {
        // on the scan's own grid, straight from memory: no file round trip
        await this.mask.showNew(() => key === this.maskKey && !this.disposed);
      } catch (e) {
        this.error(`The mask could not be shown: ${describe(e)}`);
      }
    });
  }

  /** Left-drag paints through `painter` (null: the viewer navigates again). */
  setPainter(painter: Painter | null) {
    this.painting.setPainter(painter);
  }

  private refreshFrame = 0;
  /** The mask's voxels changed in place (a correction): redraw it, once per animation frame. */
  refreshMask(labels: Volume) {
    if (this.refreshFrame) return;
    this.refreshFrame = requestAnimationFrame(() => {
      this.refreshFrame = 0;
      if (this.disposed || !this.mask.shows(labels.data)) return;
      void this.mask.show(true);
    });
  }

  setHiddenClasses(hidden: number[]) {
    this.mask.setHidden(hidden);
    void this.run(() => this.mask.show(false));
  }

  setOpacity(opacity: number) {
    this.mask.setOpacity(opacity);
    void this.run(() => this.mask.show(false));
  }

  /** Move `delta` slices through the shown 2D view (no-op in 3D). */
  stepSlice(delta: number) {
    void this.run(() => {
      if (this.scan) this.nav.stepSlice(delta);
    });
  }

  setViewMode(mode: ViewMode) {
    void this.run(() => this.nav.setViewMode(mode));
  }

  setWindow(min: number, max: number) {
    void this.run(() => {
      if (this.scan && Number.isFinite(min) && Number.isFinite(max) && min < max) this.nv.setWindow(this.scan, min, max);
    });
  }

  /** Voxel (i, j, k) of the scan's own grid at world mm. */
  voxelAt(mm: [number, number, number]): [number, number, number] | null {
    return this.nav.voxelAt(mm);
  }

  /** Move the crosshair to slice `index` along the scan's voxel `axis`, keeping the other two. */
  jumpToSlice(axis: number, index: number) {
    void this.run(() => {
      if (this.scan) this.nav.jumpToSlice(axis, index);
    });
  }

  /**
   * The view as a PNG, once pending volume loads have finished. The scene is drawn and read in
   * one task: WebGL clears its drawing buffer after compositing (no preserveDrawingBuffer), so a
   * read at any other moment returns a blank image.
   */
  async snapshot(): Promise<Blob> {
    await this.queue.catch(() => undefined);
    this.nv.drawScene();
    return new Promise((resolve, reject) => this.canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("the view could not be encoded as PNG"))), "image/png"));
  }

  dispose() {
    if (this.disposed) return;
    this.disposed = true;
    this.releaseKeys();
    this.painting.dispose();
    this.hover.dispose();
    if (this.refreshFrame) cancelAnimationFrame(this.refreshFrame);
    this.nv.dispose();
  }
}
