// The one place that talks to niivue. React components drive it through plain methods; every
// change to the scene runs through one promise queue, so a new scan, a mask and a jump always
// apply in the order they were asked for.
import { Niivue, NVImage, SLICE_TYPE } from "@niivue/niivue";
import { applyAffine, invert4 } from "../../core/volume/affine";
import type { Mat4, Volume, VoxelArray } from "../../core/volume/types";
import type { ViewMode } from "../../stores/viewSlice";
import { displayRangeSteps } from "./displayRange";
import { DISAGREE, disagreementLayer, maskBitmap, maskLut, OPAQUE, rasOffsets } from "./maskBitmap";
import { StagedUpload } from "./stagedUpload";
import { copySteps, nextTask, runSteps } from "./steps";
import { volumeImage } from "./volumeImage";

export interface MaskClass {
  index: number;
  name: string;
  color: [number, number, number];
}

export interface ControllerEvents {
  /** The crosshair moved: world millimetres of its position. */
  onLocation: (mm: [number, number, number]) => void;
  /** The mouse points at world mm on a 2D slice, or at nothing (null). */
  onHover: (mm: [number, number, number] | null) => void;
  /** The scan's display range changed (inputs or right-drag). */
  onWindow: (min: number, max: number) => void;
  /** Something the viewer could not do, in words for the user. */
  onError: (message: string | null) => void;
  /** What niivue is drawing now that may hold the page (a scan's first drawing), or null when done. */
  onDrawing: (what: string | null) => void;
}

/** After the page has painted what it has (a notice) : the next frame, then a task. */
const nextPaint = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
/** Voxels a step of a mask upload writes and uploads: about 10 ms each under software WebGL here. */
const UPLOAD_STEP_VOXELS = 1 << 20;

const SLICE: Record<ViewMode, SLICE_TYPE> = {
  axial: SLICE_TYPE.AXIAL,
  coronal: SLICE_TYPE.CORONAL,
  sagittal: SLICE_TYPE.SAGITTAL,
  multiplanar: SLICE_TYPE.MULTIPLANAR,
  render: SLICE_TYPE.RENDER,
};

const describe = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class NiivueController {
  private nv: Niivue;
  private queue: Promise<unknown>;
  private scanImg: NVImage | null = null;
  /** The scan's voxels staged on the GPU, which niivue's uploads of them are served from. */
  private upload: StagedUpload | null = null;
  /** The scan's voxel grid and where each voxel lands in niivue's RAS-ordered drawing. */
  private grid: { dims: [number, number, number]; offsets: [Int32Array, Int32Array, Int32Array]; oblique: boolean } | null = null;
  /** What the drawing layer shows: the mask's labels and, over them, where two masks disagree. */
  private maskLabels: VoxelArray | null = null;
  private diffVoxels: VoxelArray | null = null;
  /** The drawing bitmap not shown: the next mask is written into it, then the two swap. */
  private spareBitmap: Uint8Array | null = null;
  /**
   * Overlay volumes standing in for the drawing layer on an oblique scan: niivue draws its
   * drawing layer out of register with an oblique scan (e2e/geometry.spec.ts, 25° about x),
   * while an overlay volume is resampled with the scan. Slower: each change re-renders the layers.
   */
  private overlays: NVImage[] = [];
  private diffKey: object | null = null;
  private scanKey: object | null = null;
  private maskKey: object | null = null;
  private affine: Mat4 | null = null;
  private inverse: Mat4 | null = null;
  private classes: MaskClass[] = [];
  private hidden: number[] = [];
  private opacity = 0.5;
  private disposed = false;
  private mode: ViewMode = "multiplanar";
  private canvas: HTMLCanvasElement;
  private host: HTMLElement;
  /** Set while a correction tool is active: left-drag paints instead of moving the crosshair. */
  private painter: { paint: (mm: [number, number, number]) => void; end: () => void } | null = null;
  private painting = false;
  /** Pending disposal, cancelled when React mounts the same viewer again (StrictMode). */
  disposeTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(canvas: HTMLCanvasElement, private events: ControllerEvents) {
    this.canvas = canvas;
    // Capture on the parent runs before niivue's own canvas listeners: a paint stroke never
    // reaches niivue as a click or drag.
    this.host = canvas.parentElement ?? canvas;
    this.host.addEventListener("mousedown", this.onPaintDown, { capture: true });
    this.host.addEventListener("mousemove", this.onPaintMove, { capture: true });
    window.addEventListener("mouseup", this.onPaintUp);
    this.host.addEventListener("keydown", this.swallowKey, { capture: true });
    this.host.addEventListener("keyup", this.swallowKey, { capture: true });
    canvas.addEventListener("mousemove", this.onMouseMove);
    canvas.addEventListener("mouseleave", this.onMouseLeave);
    this.nv = new Niivue({
      backColor: [0.008, 0.024, 0.09, 1],
      crosshairColor: [0.2, 0.85, 1, 0.6],
      // thin in every scan: a fraction of the field of view, not a voxel (big on coarse scans)
      crosshairWidth: 0.3,
      crosshairWidthUnit: "percent",
      dragAndDropEnabled: false, // the page handles drops, through the store
      isColorbar: false,
      showLegend: false,
      isOrientCube: false,
      logLevel: "warn",
      loadingText: "",
      sliceType: SLICE_TYPE.MULTIPLANAR,
      multiplanarForceRender: false,
    });
    // the mask's opacity is in its colour table (maskLut), so that disagreement stays opaque
    this.nv.drawOpacity = 1;
    this.nv.onLocationChange = (loc: unknown) => {
      const mm = (loc as { mm?: ArrayLike<number> }).mm;
      if (mm) this.events.onLocation([mm[0], mm[1], mm[2]]);
    };
    this.nv.onIntensityChange = (vol: NVImage) => {
      if (vol === this.scanImg) this.reportWindow();
    };
    this.queue = this.nv.attachToCanvas(canvas).then(() => {
      // niivue checks the framebuffer of every slice it renders only to log a failure; each check
      // waits for all GPU work queued before it, which under software WebGL held the page for
      // most of a new scan's drawing (e2e/size.spec.ts, a 320×320×240 scan: 1.2 s, 0.47 s without)
      const gl = this.nv.gl as WebGL2RenderingContext;
      gl.checkFramebufferStatus = () => gl.FRAMEBUFFER_COMPLETE;
      this.upload = new StagedUpload(gl);
      // niivue fills a new scan's scratch texture for its 3D shading with zeros uploaded from
      // the page (106 ms for the scan above); WebGL already starts every texture at zero
      const rgbaTex = this.nv.rgbaTex.bind(this.nv);
      this.nv.rgbaTex = (texID, activeID, dims) => rgbaTex(texID, activeID, dims, false);
    }).catch((e: unknown) => {
      this.events.onError(`The viewer needs WebGL2, which this browser did not provide (${describe(e)}). Try an up-to-date Chrome, Edge or Firefox with hardware acceleration on.`);
      throw e;
    });
  }

  private run(step: () => Promise<void> | void): Promise<void> {
    const next = this.queue.catch(() => undefined).then(async () => {
      if (!this.disposed) await step();
    });
    this.queue = next;
    return next;
  }

  private reportWindow() {
    const img = this.scanImg;
    if (img) this.events.onWindow(img.cal_min ?? 0, img.cal_max ?? 0);
  }

  /** Show a scan (the project's volume: its voxels, its affine); drops the mask and everything else. */
  setScan(key: object | null, volume: Volume | null, name: string): Promise<void> {
    if (key === this.scanKey) return this.queue.then(() => undefined, () => undefined);
    this.scanKey = key;
    this.maskKey = null;
    return this.run(async () => {
      this.clearVolumes();
      this.affine = volume?.affine ?? null;
      this.inverse = volume ? invert4(volume.affine) : null;
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
        const img = volumeImage(volume, { name }, { voxels, range });
        if (this.upload && img.img && (await runSteps(this.upload.stageSteps(img.img), current)) === null) return;
        await nextTask();
        if (!current()) return;
        this.nv.addVolume(img);
        this.scanImg = img;
        this.grid = { dims: volume.dims, offsets: rasOffsets(volume.dims, img.permRAS ?? [1, 2, 3]), oblique: (img.oblique_angle ?? 0) > 0 };
        this.events.onError(null);
        this.reportWindow();
        // niivue starts at the volume's middle, which for an even number of slices is a boundary
        // between two: it draws one and the readout rounded to the other (found on the FreeSurfer
        // default geometry: a drawn tissue pixel read "background")
        const here = this.nv.frac2mm(this.nv.scene.crosshairPos, 0, true);
        const middle = this.voxelAt([here[0], here[1], here[2]]);
        if (middle) this.crosshairToVoxel(middle);
        this.nv.createOnLocationChange();
        this.nv.drawScene();
      } catch (e) {
        this.events.onError(`The scan was read, but the viewer could not display it: ${describe(e)}`);
      } finally {
        this.events.onDrawing(null);
      }
    });
  }

  private clearVolumes() {
    this.upload?.release();
    if (this.nv.drawBitmap) this.nv.closeDrawing();
    for (const v of [...this.nv.volumes].reverse()) this.nv.removeVolume(v);
    this.scanImg = null;
    this.grid = null;
    this.overlays = [];
    this.maskLabels = null;
    this.diffVoxels = null;
    this.spareBitmap = null;
    this.diffKey = null;
  }

  /**
   * Show the mask and the disagreement as they stand. `voxels`: the labels or the disagreement
   * changed, not only the colours (classes, hidden ones, opacity), which need no upload.
   */
  private showMask(voxels: boolean) {
    if (!this.grid || !this.scanImg) return;
    if (this.grid.oblique) return this.showAsOverlays();
    this.updateColours();
    if (voxels) this.uploadDrawing();
    this.nv.drawScene();
  }

  /**
   * showMask(true) for a new mask or disagreement, a slab per task: writing and uploading the
   * niivue T1 sample's mask in one go held the page 112 ms under software WebGL
   * (bench/profile-segment.ts). Stops
   * when `current()` turns false (a newer one is queued behind it). niivue keeps drawing the old
   * bitmap until the last slab is up.
   */
  private async showNewMask(current: () => boolean) {
    const grid = this.grid;
    const d = this.nv.back?.dims;
    if (!grid || !this.scanImg || grid.oblique || this.nv.opts.is2DSliceShader || !d) return this.showMask(true);
    this.updateColours();
    const n = grid.dims[0] * grid.dims[1] * grid.dims[2];
    if (this.ensureDrawing(n)) {
      await nextTask(); // a new drawing texture is a step of its own (25 ms for the 137×256×186 sample)
      if (!current() || this.disposed) return;
    }
    const next = this.spareBitmap?.length === n ? this.spareBitmap : new Uint8Array(n);
    const labels = this.maskLabels?.length === n ? this.maskLabels : null;
    const diff = this.diffVoxels?.length === n ? this.diffVoxels : null;
    const steps: (() => void)[] = [];
    if (labels || diff) {
      const slab = Math.max(1, Math.floor(UPLOAD_STEP_VOXELS / (grid.dims[0] * grid.dims[1])));
      const written = labels ?? new Uint8Array(n);
      for (let k = 0; k < grid.dims[2]; k += slab) steps.push(() => maskBitmap(written, grid.dims, grid.offsets, diff, next, k, k + slab));
    } else steps.push(() => next.fill(0));
    const gl = this.nv.gl as WebGL2RenderingContext;
    const plane = d[1] * d[2];
    const slab = Math.max(1, Math.floor(UPLOAD_STEP_VOXELS / plane));
    for (let z = 0; z < d[3]; z += slab) {
      steps.push(() => {
        gl.activeTexture(gl.TEXTURE7); // niivue's drawing texture unit
        gl.bindTexture(gl.TEXTURE_3D, this.nv.drawTexture);
        gl.texSubImage3D(gl.TEXTURE_3D, 0, 0, 0, z, d[1], d[2], Math.min(slab, d[3] - z), gl.RED, gl.UNSIGNED_BYTE, next, z * plane);
      });
    }
    for (const step of steps) {
      step();
      await nextTask();
      if (!current() || this.disposed) return;
    }
    this.spareBitmap = this.nv.drawBitmap;
    this.nv.drawBitmap = next;
    this.nv.drawScene();
  }

  /** niivue's drawing layer sized for `n` voxels (true when it was made): its createEmptyDrawing, less its undo history and its scan of the empty bitmap. */
  private ensureDrawing(n: number): boolean {
    if (this.nv.drawBitmap?.length === n || !this.nv.back?.dims) return false;
    this.nv.drawTexture = this.nv.r8Tex(this.nv.drawTexture, (this.nv.gl as WebGL2RenderingContext).TEXTURE7, this.nv.back.dims, false);
    this.nv.drawBitmap = new Uint8Array(n);
    return true;
  }

  /** Upload the mask (and disagreement) to niivue's drawing layer: one 8-bit texture, no re-render of the scan's layers. */
  private uploadDrawing() {
    const grid = this.grid!;
    const n = grid.dims[0] * grid.dims[1] * grid.dims[2];
    this.ensureDrawing(n);
    const labels = this.maskLabels?.length === n ? this.maskLabels : null;
    const diff = this.diffVoxels?.length === n ? this.diffVoxels : null;
    if (labels || diff) this.nv.drawBitmap = maskBitmap(labels ?? new Uint8Array(n), grid.dims, grid.offsets, diff, this.nv.drawBitmap ?? undefined);
    else this.nv.drawBitmap?.fill(0);
    const gl = this.nv.gl as WebGL2RenderingContext;
    const d = this.nv.back?.dims;
    if (this.nv.opts.is2DSliceShader || !d || !this.nv.drawBitmap) this.nv.refreshDrawing(false);
    else {
      // niivue's refreshDrawing, less its scan of every voxel for a smoothing option we leave off
      gl.activeTexture(gl.TEXTURE7); // niivue's drawing texture unit
      gl.bindTexture(gl.TEXTURE_3D, this.nv.drawTexture);
      gl.texSubImage3D(gl.TEXTURE_3D, 0, 0, 0, 0, d[1], d[2], d[3], gl.RED, gl.UNSIGNED_BYTE, this.nv.drawBitmap);
    }
  }

  /** The drawing's colour table: classes, hidden ones and opacity; no texture but the table changes. */
  private updateColours() {
    this.nv.drawLut = { lut: maskLut(this.classes, this.hidden, this.opacity), labels: this.classes.map((c) => c.name) };
    this.nv.refreshColormaps();
  }

  /** The oblique path: the mask, then the disagreement over it, as label volumes on the scan's grid. */
  private showAsOverlays() {
    for (const img of this.overlays) this.nv.removeVolume(img);
    this.overlays = [];
    const lut = maskLut(this.classes, this.hidden, 1);
    const table = (indices: number[], names: string[]) => ({ R: indices.map((i) => lut[i * 4]), G: indices.map((i) => lut[i * 4 + 1]), B: indices.map((i) => lut[i * 4 + 2]), A: indices.map((i) => lut[i * 4 + 3]), I: indices, labels: names });
    const diffIndices = [...this.classes.filter((c) => c.index > 0 && c.index < OPAQUE).map((c) => OPAQUE + c.index), DISAGREE];
    const layers: [VoxelArray | null, string, ReturnType<typeof table>, number][] = [
      [this.maskLabels, "siteseg-mask", table(this.classes.map((c) => c.index), this.classes.map((c) => c.name)), this.opacity],
      [this.diffVoxels && disagreementLayer(this.maskLabels, this.grid!.dims, this.diffVoxels), "siteseg-disagreement", table([0, ...diffIndices], ["", ...diffIndices.map(() => "disagree")]), 1],
    ];
    for (const [voxels, name, colours, opacity] of layers) {
      if (!voxels) continue;
      const img = volumeImage({ dims: this.grid!.dims, affine: this.affine!, data: voxels }, { name, opacity });
      img.setColormapLabel(colours);
      img.opacity = opacity;
      this.nv.addVolume(img);
      this.overlays.push(img);
    }
    this.nv.updateGLVolume();
  }

  /** Show (or remove, with null) the voxels where two masks disagree, in one colour over the mask. */
  setDisagreement(key: object | null, diff: Volume | null): Promise<void> {
    if (key === this.diffKey) return this.queue.then(() => undefined, () => undefined);
    this.diffKey = key;
    return this.run(async () => {
      if (key !== this.diffKey) return;
      this.diffVoxels = diff?.data ?? null;
      try {
        await this.showNewMask(() => key === this.diffKey);
      } catch (e) {
        this.events.onError(`The disagreement overlay could not be shown: ${describe(e)}`);
      }
    });
  }

  /** Show (or replace, or remove with null) the segmentation mask over the scan. */
  setMask(key: object | null, labels: Volume | null, classes: MaskClass[]): Promise<void> {
    if (key === this.maskKey) return this.queue.then(() => undefined, () => undefined);
    this.maskKey = key;
    return this.run(async () => {
      if (key !== this.maskKey) return;
      this.classes = classes;
      this.maskLabels = labels?.data ?? null;
      try {
        // on the scan's own grid, straight from memory: no file round trip
        await this.showNewMask(() => key === this.maskKey);
      } catch (e) {
        this.events.onError(`The mask could not be shown: ${describe(e)}`);
      }
    });
  }

  /** Left-drag paints through `painter` (null: the viewer navigates again). */
  setPainter(painter: { paint: (mm: [number, number, number]) => void; end: () => void } | null) {
    // a drag under the old painter ends with it (a new result of the mask arrives mid-drag)
    if (this.painting && painter !== this.painter) this.painter?.end();
    this.painting = false;
    this.painter = painter;
    this.canvas.style.cursor = painter ? "crosshair" : "";
  }

  /** A mouse event's position in canvas pixels, or null while the canvas has no size. */
  private canvasPos(e: MouseEvent): [number, number] | null {
    const box = this.canvas.getBoundingClientRect();
    if (!box.width || !box.height) return null;
    return [((e.clientX - box.left) * this.canvas.width) / box.width, ((e.clientY - box.top) * this.canvas.height) / box.height];
  }

  /** World mm at canvas pixels on a 2D slice, or null (outside the slices, 3D view, no scan). */
  private mmAtCanvas(pos: [number, number] | null): [number, number, number] | null {
    if (!pos || !this.scanImg) return null;
    const frac = this.nv.canvasPos2frac(pos);
    if (frac[0] < 0) return null;
    const mm = this.nv.frac2mm(frac, 0, true);
    return [mm[0], mm[1], mm[2]];
  }

  private mmAt = (e: MouseEvent) => this.mmAtCanvas(this.canvasPos(e));

  private onPaintDown = (e: MouseEvent) => {
    if (!this.painter || e.button !== 0 || e.target !== this.canvas) return;
    e.stopPropagation();
    e.preventDefault();
    this.canvas.focus();
    this.painting = true;
    const mm = this.mmAt(e);
    if (mm) this.painter.paint(mm);
  };

  private onPaintMove = (e: MouseEvent) => {
    if (!this.painter || !this.painting) return;
    e.stopPropagation();
    const mm = this.mmAt(e);
    if (mm) this.painter.paint(mm);
  };

  private onPaintUp = () => {
    if (!this.painting) return;
    this.painting = false;
    this.painter?.end();
  };

  private refreshFrame = 0;
  /** The mask's voxels changed in place (a correction): redraw it, once per animation frame. */
  refreshMask(labels: Volume) {
    if (this.refreshFrame) return;
    this.refreshFrame = requestAnimationFrame(() => {
      this.refreshFrame = 0;
      if (this.disposed || this.maskLabels !== labels.data) return;
      this.showMask(true);
    });
  }

  setHiddenClasses(hidden: number[]) {
    this.hidden = hidden;
    void this.run(() => this.showMask(false));
  }

  setOpacity(opacity: number) {
    this.opacity = opacity;
    void this.run(() => this.showMask(false));
  }

  /** Move `delta` slices through the shown 2D view (no-op in 3D). */
  stepSlice(delta: number) {
    void this.run(() => {
      if (this.mode === "render" || !this.scanImg) return;
      // niivue's voxel steps run along its RAS-ordered axes: sagittal x, coronal y, axial z.
      const axis = this.mode === "sagittal" ? 0 : this.mode === "coronal" ? 1 : 2;
      const step: [number, number, number] = [0, 0, 0];
      step[axis] = delta;
      this.nv.moveCrosshairInVox(...step);
    });
  }

  /**
   * niivue's own canvas keys (V cycles views behind the app's back, M changes what a drag does,
   * ? opens an alert, C clip planes...) are kept from it: the app's keys are one table
   * (shortcuts.ts), handled on the window.
   */
  private swallowKey = (e: KeyboardEvent) => {
    if (e.target === this.canvas) e.stopPropagation();
  };

  private hoverFrame = 0;
  private hoverAt: [number, number] | null = null;

  /** What lies under the mouse, once per animation frame. */
  private onMouseMove = (e: MouseEvent) => {
    const pos = this.canvasPos(e);
    if (!pos) return;
    this.hoverAt = pos;
    if (this.hoverFrame) return;
    this.hoverFrame = requestAnimationFrame(() => {
      this.hoverFrame = 0;
      if (!this.hoverAt || !this.scanImg || this.disposed) return;
      this.events.onHover(this.mmAtCanvas(this.hoverAt));
    });
  };

  private onMouseLeave = () => {
    this.hoverAt = null;
    this.events.onHover(null);
  };

  setViewMode(mode: ViewMode) {
    this.mode = mode;
    void this.run(() => {
      this.nv.setSliceType(SLICE[mode]);
    });
  }

  setWindow(min: number, max: number) {
    void this.run(() => {
      const img = this.scanImg;
      if (!img || !Number.isFinite(min) || !Number.isFinite(max) || min >= max) return;
      img.cal_min = min;
      img.cal_max = max;
      this.nv.updateGLVolume();
    });
  }

  /** Voxel (i, j, k) of the scan's own grid at world mm. */
  voxelAt(mm: [number, number, number]): [number, number, number] | null {
    if (!this.inverse) return null;
    const v = applyAffine(this.inverse, mm[0], mm[1], mm[2]);
    return [Math.round(v[0]), Math.round(v[1]), Math.round(v[2])];
  }

  /** The crosshair on voxel `vox`'s centre, so that the slices niivue draws and the voxels the readout names are the same. */
  private crosshairToVoxel(vox: [number, number, number]) {
    if (!this.affine) return;
    const mm = applyAffine(this.affine, vox[0], vox[1], vox[2]);
    // the inverse of frac2mm(…, true), which niivue reports locations with: lands on the voxel centre
    const frac = this.nv.mm2frac([mm[0], mm[1], mm[2]], 0, true);
    this.nv.scene.crosshairPos = [frac[0], frac[1], frac[2]] as typeof this.nv.scene.crosshairPos;
  }

  /** Move the crosshair to slice `index` along the scan's voxel `axis`, keeping the other two. */
  jumpToSlice(axis: number, index: number) {
    void this.run(() => {
      if (!this.scanImg || !this.affine) return;
      const here = this.nv.frac2mm(this.nv.scene.crosshairPos, 0, true);
      const vox = this.voxelAt([here[0], here[1], here[2]]) ?? [0, 0, 0];
      vox[axis] = index;
      this.crosshairToVoxel(vox);
      this.nv.createOnLocationChange();
      this.nv.drawScene(); // only the crosshair moved: no need to rebuild the volume textures
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
    this.host.removeEventListener("keydown", this.swallowKey, { capture: true });
    this.host.removeEventListener("keyup", this.swallowKey, { capture: true });
    this.host.removeEventListener("mousedown", this.onPaintDown, { capture: true });
    this.host.removeEventListener("mousemove", this.onPaintMove, { capture: true });
    window.removeEventListener("mouseup", this.onPaintUp);
    if (this.refreshFrame) cancelAnimationFrame(this.refreshFrame);
    this.canvas.removeEventListener("mousemove", this.onMouseMove);
    this.canvas.removeEventListener("mouseleave", this.onMouseLeave);
    if (this.hoverFrame) cancelAnimationFrame(this.hoverFrame);
    try {
      this.nv.cleanup();
      const gl = this.nv.gl as WebGL2RenderingContext | null;
      gl?.getExtension("WEBGL_lose_context")?.loseContext();
    } catch {
      // best effort: the page is going away
    }
  }
}
