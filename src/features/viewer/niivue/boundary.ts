// The app's one door to niivue: the only module that imports @niivue/niivue. The viewer's parts
// see a narrow interface (scan layer, mask layer, overlays, view, events); every niivue internal
// it still uses is in INTERNALS below with why, checked when the viewer starts. When one is
// missing (a niivue upgrade moved it), the user is told and the viewer runs niivue's plain public
// path: slower, the same pictures. boundary.test.ts runs this contract against the installed niivue.
import { Niivue, NVImage, SLICE_TYPE } from "@niivue/niivue";
import { voxelSizes } from "../../../core/volume/affine";
import type { Mat4, Volume, VoxelArray } from "../../../core/volume/types";
import type { ViewMode } from "../../../stores/viewSlice";
import type { DisplayRange } from "./displayRange";
import type { Steps } from "./steps";
import { StagedUpload } from "./stagedUpload";

/**
 * The niivue release this module was checked against (package.json pins it exactly). niivue exports
 * no version to read at run time; boundary.test.ts checks the installed one against this.
 */
export const NIIVUE_VERSION = "0.69.0";

export interface Internal {
  /** Where it lives: a niivue class's prototype, an instance, the scene, or the WebGL2 context niivue draws with. */
  on: "Niivue" | "Niivue instance" | "Niivue scene" | "NVImage" | "NVImage instance" | "WebGL2" | "niivue source";
  name: string;
  kind: "function" | "value";
  /** What the viewer does with it, and why niivue's public API does not serve. */
  why: string;
  /** What runs without it. */
  without: string;
  /** Part of the fast path: one of these missing turns the whole fast path off (the plain path). */
  fast: boolean;
}

/** Every niivue internal the viewer uses. The plain path uses only the rows with fast: false. */
export const INTERNALS: readonly Internal[] = [
  {
    on: "NVImage", name: "init", kind: "function", fast: true,
    why: "builds the scan's image from the project's own header and voxels (20 positional arguments; the image type NII is niivue's unexported ImageType 1). The public NVImage.loadFromUrl over a NIfTI array copies the voxels twice more and finds the window over every voxel in one go (180 + 195 ms held for a 98 MB scan under software WebGL); here the copy and the window are done ahead, a step per task",
    without: "NVImage.loadFromUrl over NVImage.createNiftiArray",
  },
  {
    on: "NVImage", name: "calMinMax", kind: "function", fast: true,
    why: "replaced on the instance while init runs: answers with the window already found in steps (displayRange.ts); init always runs it over every voxel",
    without: "niivue's own window, found in one go",
  },
  {
    on: "NVImage instance", name: "permRAS", kind: "value", fast: true,
    why: "where each native voxel lands in niivue's RAS-ordered drawing (maskBitmap.ts rasOffsets), so the mask is written straight into the drawing bitmap",
    without: "loadDrawing (public) with the mask as an image: niivue permutes it itself, in one go",
  },
  {
    on: "NVImage instance", name: "oblique_angle", kind: "value", fast: true,
    why: "whether niivue finds the scan oblique, and so draws its drawing layer out of register with it (e2e/geometry.spec.ts): the mask then goes in overlay volumes, which niivue resamples",
    without: "the scan's affine says whether its axes are turned",
  },
  {
    on: "Niivue", name: "rgbaTex", kind: "function", fast: true,
    why: "replaced on the instance to skip filling a new scan's 3D-shading scratch texture with zeros from the page (106 ms for a 320×320×240 scan); WebGL starts every texture at zero. No option turns it off",
    without: "niivue fills it",
  },
  {
    on: "Niivue", name: "r8Tex", kind: "function", fast: true,
    why: "sizes the drawing texture for a new scan on its own task (25 ms for the 137×256×186 sample); createEmptyDrawing (public) also keeps an undo copy and uploads the empty bitmap",
    without: "loadDrawing sizes it",
  },
  {
    on: "Niivue instance", name: "drawTexture", kind: "value", fast: true,
    why: "the mask is uploaded into it a slab per task (texture unit 7): writing and uploading the T1 sample's mask in one go held the page 112 ms under software WebGL; refreshDrawing (public) uploads all of it at once and scans every voxel for a smoothing option left off",
    without: "loadDrawing / refreshDrawing, the whole mask in one go",
  },
  {
    on: "niivue source", name: "TEXTURE7_DRAW", kind: "value", fast: true,
    why: "the drawing texture's unit (TEXTURE_CONSTANTS.TEXTURE7_DRAW, not exported), bound for the slab uploads; checked by boundary.test.ts, it cannot be read at run time",
    without: "loadDrawing / refreshDrawing",
  },
  {
    on: "Niivue", name: "refreshColormaps", kind: "function", fast: true,
    why: "uploads the drawing's colour table alone when classes, hidden classes or the opacity change; updateGLVolume (public) re-renders every layer",
    without: "updateGLVolume",
  },
  {
    on: "WebGL2", name: "texSubImage3D", kind: "function", fast: true,
    why: "wrapped (stagedUpload.ts) so niivue's upload of the scan's voxels, one call with the array as 11th argument, is served from a GPU buffer filled ahead in steps (~200 ms held for a 98 MB scan otherwise); niivue takes no buffer",
    without: "niivue uploads from the page",
  },
  {
    on: "WebGL2", name: "checkFramebufferStatus", kind: "function", fast: true,
    why: "answers 'complete' without asking the GPU: niivue checks every slice it renders only to log a failure, and each check waits for all queued GPU work (1.2 s held for a 320×320×240 scan, 0.47 s without)",
    without: "niivue checks",
  },
  {
    on: "Niivue instance", name: "drawLut", kind: "value", fast: false,
    why: "the mask's own colour table (classes at the mask's opacity, the disagreement opaque); setDrawColormap (public) takes only niivue's named maps",
    without: "niivue's default drawing colours",
  },
  {
    on: "Niivue", name: "canvasPos2frac", kind: "function", fast: false,
    why: "the voxel under the mouse (hover readout, painting); niivue reports a location only for its own clicks",
    without: "no readout under the mouse, no painting",
  },
  {
    on: "Niivue", name: "frac2mm", kind: "function", fast: false,
    why: "world millimetres of the mouse and the crosshair, as niivue's own location reports them",
    without: "no readout under the mouse, no painting, no jumps to a slice",
  },
  {
    on: "Niivue", name: "mm2frac", kind: "function", fast: false,
    why: "puts the crosshair on a voxel's centre (jumps to a slice; a new scan starts on a voxel, not between two); moveCrosshairInVox (public) only steps",
    without: "no jumps to a slice",
  },
  {
    on: "Niivue scene", name: "crosshairPos", kind: "value", fast: false,
    why: "read and set with the two above: niivue has no public setter for the crosshair",
    without: "no jumps to a slice",
  },
];

const SLICE: Record<ViewMode, SLICE_TYPE> = {
  axial: SLICE_TYPE.AXIAL,
  coronal: SLICE_TYPE.CORONAL,
  sagittal: SLICE_TYPE.SAGITTAL,
  multiplanar: SLICE_TYPE.MULTIPLANAR,
  render: SLICE_TYPE.RENDER,
};

const NII_IMAGE_TYPE = 1; // niivue's ImageType.NII (the enum is not exported; boundary.test.ts checks it)
/** niivue's drawing texture unit, WebGL2's TEXTURE7 (boundary.test.ts checks it). */
const DRAW_TEXTURE_UNIT = 0x84c0 + 7;

/** The rows of INTERNALS missing from this niivue: `nv` and its WebGL context `gl` for the instance rows. */
export function missingInternals(nv: Niivue, gl: WebGL2RenderingContext | null): Internal[] {
  const where: Record<Internal["on"], unknown> = {
    Niivue: Niivue.prototype,
    "Niivue instance": nv,
    "Niivue scene": nv.scene,
    NVImage: NVImage.prototype,
    "NVImage instance": new NVImage(),
    WebGL2: gl,
    "niivue source": null,
  };
  return INTERNALS.filter(({ on, name, kind }) => {
    if (on === "niivue source") return false;
    const o = where[on] as Record<string, unknown> | null;
    return !o || !(name in o) || (kind === "function" && typeof o[name] !== "function");
  });
}

/** What the user reads when the fast path is off, or null. */
export function plainPathNotice(missing: readonly Internal[]): string | null {
  if (!missing.length) return null;
  const lost = [...new Set(missing.filter((x) => !x.fast).map((x) => x.without))];
  return `This niivue (checked against ${NIIVUE_VERSION}) lacks ${missing.map((x) => x.name).join(", ")}: the viewer draws the plain, slower way${lost.length ? `, with ${lost.join("; ")}` : ""}.`;
}

/** NIfTI datatype codes of the voxel arrays a Volume can hold. */
function datatypeCode(data: VoxelArray): number {
  if (data instanceof Uint8Array) return 2;
  if (data instanceof Int16Array) return 4;
  if (data instanceof Int32Array) return 8;
  if (data instanceof Float32Array) return 16;
  if (data instanceof Float64Array) return 64;
  if (data instanceof Int8Array) return 256;
  if (data instanceof Uint16Array) return 512;
  return 768; // Uint32Array
}

export interface ImageOptions {
  name: string;
  colormap?: string;
  opacity?: number;
}

/** What a large scan's image is built from, worked out ahead in steps (setScan). */
export interface PreparedVoxels {
  /** A copy of the volume's voxels for niivue to keep. */
  voxels: VoxelArray;
  /** niivue's starting window for them. */
  range: DisplayRange;
}

/**
 * The fast path's NVImage over `vol`'s voxels with `vol.affine` as its only transform (sform, no
 * qform): the viewer shows the voxels and the affine the pipeline, the Dice and every export use,
 * never a second parse with niivue's header rules (which pick the qform over the sform when its
 * code is higher, and read MGH files without a valid RAS flag differently). The voxels are copied
 * once: niivue keeps and may rescale its array. With `prepared`, the copy and the window are those.
 */
export function volumeImage(vol: Volume, { name, colormap = "gray", opacity = 1 }: ImageOptions, prepared?: PreparedVoxels): NVImage {
  const img = new NVImage();
  img.hdr = NVImage.createNiftiHeader(vol.dims, voxelSizes(vol.affine), vol.affine, datatypeCode(vol.data));
  const raw = (prepared?.voxels ?? vol.data.slice()).buffer as ArrayBuffer;
  // init() ends with calMinMax, niivue's window rule over the voxels: answered from the range
  // already worked out, then niivue's own method is back for later changes (a colormap)
  const own = img as unknown as { calMinMax?: () => number[] };
  if (prepared) {
    const { cal, global, ignoreZero } = prepared.range;
    own.calMinMax = () => {
      Object.assign(img, { cal_min: cal[0], cal_max: cal[1], robust_min: cal[0], robust_max: cal[1], global_min: global[0], global_max: global[1], ignoreZeroVoxels: ignoreZero });
      return [cal[0], cal[1], global[0], global[1]];
    };
  }
  // init() reads the header already on the image and takes the voxels as imgRaw; its first
  // argument only has to be non-empty.
  img.init(raw, name, colormap, opacity, null, NaN, NaN, true, 0.02, false, false, "", 0, NII_IMAGE_TYPE as never, NaN, NaN, false, null, 0, raw);
  delete own.calMinMax;
  return img;
}

/** The plain path's image: the volume written as a NIfTI array and read back by niivue's public loader. */
export function plainVolumeImage(vol: Volume, { name, colormap = "gray", opacity = 1 }: ImageOptions): Promise<NVImage> {
  const bytes = new Uint8Array(vol.data.buffer, vol.data.byteOffset, vol.data.byteLength);
  const nifti = NVImage.createNiftiArray(vol.dims, voxelSizes(vol.affine), vol.affine, datatypeCode(vol.data), bytes);
  return NVImage.loadFromUrl({ url: `${name}.nii`, buffer: nifti.buffer as ArrayBuffer, name: `${name}.nii`, colormap, opacity });
}

/** A label colour table for an overlay volume (niivue's ColorMap). */
export interface LabelTable {
  R: number[];
  G: number[];
  B: number[];
  A: number[];
  I: number[];
  labels: string[];
}

/** A volume shown by niivue: the scan or an overlay. */
export type Layer = NVImage;

export interface BoundaryEvents {
  /** The crosshair moved: world millimetres of its position. */
  onLocation: (mm: [number, number, number]) => void;
  /** niivue changed the window of `layer` (a right-drag). */
  onWindow: (layer: Layer) => void;
}

/** The scan as niivue holds it: where its voxels land in the drawing, and whether niivue draws the drawing layer in register with it. */
export interface ScanLayout {
  permRAS: number[];
  oblique: boolean;
}

/** Whether `affine` turns the voxel axes off the world axes (the fast path reads niivue's own oblique_angle instead). */
const rotated = (a: Mat4) => [0, 1, 2].some((c) => [0, 1, 2].filter((r) => Math.abs(a[r * 4 + c]) > 1e-6).length > 1);

export class NiivueBoundary {
  private nv: Niivue;
  private gl: WebGL2RenderingContext | null = null;
  private upload: StagedUpload | null = null;
  /** The internals this niivue lacks (after `ready`); any fast one turns the fast path off. */
  private missing: Internal[] = [];
  /** Resolves once niivue is on the canvas and its internals are checked; rejects without WebGL2. */
  readonly ready: Promise<void>;

  constructor(private canvas: HTMLCanvasElement, events: BoundaryEvents) {
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
      if (mm) events.onLocation([mm[0], mm[1], mm[2]]);
    };
    this.nv.onIntensityChange = (vol: NVImage) => events.onWindow(vol);
    this.ready = this.nv.attachToCanvas(canvas).then(() => {
      const gl = this.nv.gl as WebGL2RenderingContext;
      this.gl = gl;
      this.missing = missingInternals(this.nv, gl);
      if (this.missing.length) console.warn(plainPathNotice(this.missing), this.missing);
      // ?niivue=plain: the plain path on purpose, to compare or to get round a fast path's fault
      if (new URLSearchParams(location.search).get("niivue") === "plain") this.forcedPlain = true;
      if (!this.fast) return;
      gl.checkFramebufferStatus = () => gl.FRAMEBUFFER_COMPLETE;
      this.upload = new StagedUpload(gl);
      const rgbaTex = this.nv.rgbaTex.bind(this.nv);
      this.nv.rgbaTex = (texID, activeID, dims) => rgbaTex(texID, activeID, dims, false);
    });
  }

  private forcedPlain = false;

  /** The fast path is on: every internal of INTERNALS is there (and the page did not ask for the plain path). */
  get fast(): boolean {
    return !this.forcedPlain && !this.missing.some((x) => x.fast);
  }

  /** For the user: why the viewer runs the plain path, or null. */
  get notice(): string | null {
    return this.forcedPlain && !this.missing.length ? "The viewer draws niivue's plain, slower way, as the page address asks (niivue=plain)." : plainPathNotice(this.missing);
  }

  private lacks(...names: string[]): boolean {
    return this.missing.some((x) => names.includes(x.name));
  }

  // ---- scan layer ----

  /** The scan's image: from the voxels and window prepared in steps (fast path), or niivue's loader. */
  async scanImage(vol: Volume, name: string, prepared: PreparedVoxels): Promise<Layer> {
    return this.fast ? volumeImage(vol, { name }, prepared) : plainVolumeImage({ ...vol, data: prepared.voxels }, { name });
  }

  /** Steps that stage the scan's voxels on the GPU ahead of niivue's upload, or null (plain path). */
  stageSteps(scan: Layer): Steps<void> | null {
    return this.upload && scan.img ? this.upload.stageSteps(scan.img) : null;
  }

  /** Show `scan` as the base layer. */
  showScan(scan: Layer, affine: Mat4): ScanLayout {
    this.nv.addVolume(scan);
    return { permRAS: scan.permRAS ?? [1, 2, 3], oblique: this.fast ? (scan.oblique_angle ?? 0) > 0 : rotated(affine) };
  }

  /** The scan's window [min, max]. */
  window(scan: Layer): [number, number] {
    return [scan.cal_min ?? 0, scan.cal_max ?? 0];
  }

  setWindow(scan: Layer, min: number, max: number) {
    scan.cal_min = min;
    scan.cal_max = max;
    this.nv.updateGLVolume();
  }

  /** Drop every layer and the drawing. */
  clear() {
    this.upload?.release();
    if (this.nv.drawBitmap) this.nv.closeDrawing();
    for (const v of [...this.nv.volumes].reverse()) this.nv.removeVolume(v);
  }

  // ---- mask layer: niivue's drawing, RAS-ordered bytes and a 256-entry colour table ----

  /** The drawing's voxel grid [x, y, z] (RAS order) when slabs can go straight into its texture, else null (plain path, 2D shader). */
  slabGrid(): [number, number, number] | null {
    const d = this.nv.back?.dims;
    return this.fast && !this.nv.opts.is2DSliceShader && d ? [d[1], d[2], d[3]] : null;
  }

  /** The drawing sized for `n` voxels, without niivue's undo history: true when a texture was made. */
  ensureDrawing(n: number): boolean {
    if (this.nv.drawBitmap?.length === n || !this.nv.back?.dims) return false;
    this.nv.drawTexture = this.nv.r8Tex(this.nv.drawTexture, DRAW_TEXTURE_UNIT, this.nv.back.dims, false);
    this.nv.drawBitmap = new Uint8Array(n);
    return true;
  }

  /** Upload drawing slices z to z + depth of `bitmap` (RAS order, the drawing's size) into the drawing texture. */
  uploadDrawingSlab(bitmap: Uint8Array, z: number, depth: number) {
    const gl = this.gl!;
    const [x, y] = this.slabGrid()!;
    gl.activeTexture(DRAW_TEXTURE_UNIT);
    gl.bindTexture(gl.TEXTURE_3D, this.nv.drawTexture);
    gl.texSubImage3D(gl.TEXTURE_3D, 0, 0, 0, z, x, y, depth, gl.RED, gl.UNSIGNED_BYTE, bitmap, z * x * y);
  }

  /** `bitmap` becomes the drawing niivue keeps (after its slabs are up); the one it replaces is returned for reuse. */
  swapDrawing(bitmap: Uint8Array): Uint8Array | null {
    const old = this.nv.drawBitmap;
    this.nv.drawBitmap = bitmap;
    return old;
  }

  /** The drawing bitmap niivue keeps, for writing the next mask into (fast path), or null. */
  drawing(): Uint8Array | null {
    return this.nv.drawBitmap;
  }

  /** `bitmap` (RAS order) up in one go: the fast path's texture upload, less refreshDrawing's scan of every voxel. */
  uploadDrawing(bitmap: Uint8Array) {
    const grid = this.slabGrid();
    if (this.nv.drawBitmap !== bitmap) this.nv.drawBitmap = bitmap;
    if (grid) this.uploadDrawingSlab(bitmap, 0, grid[2]);
    else this.nv.refreshDrawing(false);
  }

  /** The plain path: `native` (the scan's native voxel order) as the drawing, through niivue's public loadDrawing. */
  async loadDrawing(native: Uint8Array, dims: [number, number, number], affine: Mat4) {
    this.nv.loadDrawing(await plainVolumeImage({ dims, affine, data: native }, { name: "siteseg-mask" }));
  }

  /** The drawing's colour table (256 RGBA entries) and class names; no texture but the table is uploaded. */
  setDrawColours(lut: Uint8ClampedArray, labels: string[]) {
    this.nv.drawLut = { lut, labels };
    if (this.lacks("refreshColormaps")) this.nv.updateGLVolume();
    else this.nv.refreshColormaps();
  }

  // ---- overlays: label volumes on the scan's grid, resampled with it ----

  async addLabelOverlay(vol: Volume, name: string, table: LabelTable, opacity: number): Promise<Layer> {
    const img = this.fast ? volumeImage(vol, { name, opacity }) : await plainVolumeImage(vol, { name, opacity });
    img.setColormapLabel(table);
    img.opacity = opacity;
    this.nv.addVolume(img);
    return img;
  }

  removeLayer(layer: Layer) {
    this.nv.removeVolume(layer);
  }

  /** Re-render the layers (after overlays changed). */
  updateLayers() {
    this.nv.updateGLVolume();
  }

  // ---- view ----

  setViewMode(mode: ViewMode) {
    this.nv.setSliceType(SLICE[mode]);
  }

  drawScene() {
    this.nv.drawScene();
  }

  /** World mm at a page point on a 2D slice, or null (outside the slices, the 3D view, no scan). */
  mmAtClient(clientX: number, clientY: number): [number, number, number] | null {
    if (this.lacks("canvasPos2frac", "frac2mm") || !this.nv.back) return null;
    const box = this.canvas.getBoundingClientRect();
    if (!box.width || !box.height) return null;
    const frac = this.nv.canvasPos2frac([((clientX - box.left) * this.canvas.width) / box.width, ((clientY - box.top) * this.canvas.height) / box.height]);
    if (frac[0] < 0) return null;
    const mm = this.nv.frac2mm(frac, 0, true);
    return [mm[0], mm[1], mm[2]];
  }

  /** The crosshair's world mm, as niivue reports locations, or null. */
  crosshairMM(): [number, number, number] | null {
    if (this.lacks("frac2mm", "crosshairPos")) return null;
    const mm = this.nv.frac2mm(this.nv.scene.crosshairPos, 0, true);
    return [mm[0], mm[1], mm[2]];
  }

  /** The crosshair at world `mm` (the inverse of crosshairMM), reported and drawn (true): only the crosshair moves, no layer is rebuilt. */
  setCrosshairMM(mm: [number, number, number]): boolean {
    if (this.lacks("mm2frac", "crosshairPos")) return false;
    const frac = this.nv.mm2frac(mm, 0, true);
    this.nv.scene.crosshairPos = [frac[0], frac[1], frac[2]] as typeof this.nv.scene.crosshairPos;
    this.nv.createOnLocationChange();
    this.nv.drawScene();
    return true;
  }

  /** Step the crosshair by whole voxels along niivue's RAS-ordered axes. */
  moveCrosshairInVox(x: number, y: number, z: number) {
    this.nv.moveCrosshairInVox(x, y, z);
  }

  dispose() {
    try {
      this.nv.cleanup();
      this.gl?.getExtension("WEBGL_lose_context")?.loseContext();
    } catch {
      // best effort: the page is going away
    }
  }
}
