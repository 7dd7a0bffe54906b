// The keyboard shortcuts, in one table: the key handler runs it and the help panel (?) lists
// it, so what the panel says is what the keys do. Matching is pure (a KeyboardEvent-like
// object in, a row out) and unit-tested; actions take the store's state as an argument.
// No imports: the store's state is passed in, and typed here by the part the actions use
// (KeyboardShortcuts.tsx passes the whole store, which the app's typecheck holds to this).

type ViewMode = "axial" | "coronal" | "sagittal" | "multiplanar" | "render";

/** What the shortcuts read and call in the store. */
export interface ShortcutApp {
  scan: object | null;
  result: object | null;
  viewMode: ViewMode;
  setViewMode: (m: ViewMode) => void;
  stepSlice: (delta: number) => void;
  opacity: number;
  setOpacity: (o: number) => void;
  maskVisible: boolean;
  setMaskVisible: (on: boolean) => void;
  compare: { adapter: string } | null;
  flipComparison: () => boolean;
  editTool: "brush" | "eraser" | "fill" | null;
  setEditTool: (t: "brush" | "eraser" | "fill" | null) => void;
  interpolateClass: () => string | null;
  undoStack: readonly unknown[];
  redoStack: readonly unknown[];
  undo: () => void;
  redo: () => void;
  /** The job holding the worker (workerSlice). */
  activeJob: { kind: string } | null;
  canSegment: () => boolean;
  runSegmentation: () => Promise<void>;
  cancelSegmentation: () => void;
  shortcutsOpen: boolean;
  setShortcutsOpen: (open: boolean) => void;
}

/** One way to press a shortcut. `key` is KeyboardEvent.key (letters in lower case). */
export interface KeyCombo {
  key: string;
  /** Ctrl, or ⌘ on a Mac. */
  mod?: boolean;
  /** Shift must be down (true) or up (false); left out, either. */
  shift?: boolean;
  /** KeyboardEvent.code that also matches (digit keys on layouts where they need Shift). */
  code?: string;
}

export type ShortcutGroup = "Slices and views" | "Mask" | "Correction" | "Segmentation" | "Help";

export interface Shortcut {
  id: string;
  group: ShortcutGroup;
  keys: KeyCombo[];
  description: string;
  /** Held down, it repeats (slices, opacity, undo); other shortcuts fire once per press. */
  repeat?: boolean;
  /** Does it; false when there was nothing to do (the key then keeps its default). */
  run: (app: ShortcutApp) => boolean | void;
}

/** The part of a KeyboardEvent that matching reads. */
export interface KeyLike {
  key: string;
  code?: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
  repeat?: boolean;
}

const view = (n: number, mode: ViewMode, label: string): Shortcut => ({
  id: `view-${mode}`,
  group: "Slices and views",
  keys: [{ key: String(n), code: `Digit${n}` }],
  description: `${label} view`,
  run: (app) => (app.viewMode === mode ? false : app.setViewMode(mode)),
});

const step = (id: string, key: string, delta: number, description: string): Shortcut => ({
  id,
  group: "Slices and views",
  keys: [{ key }],
  description,
  repeat: true,
  run: (app) => (!app.scan || app.viewMode === "render" ? false : app.stepSlice(delta)),
});

const OPACITY_STEP = 0.1;
const opacity = (id: string, key: string, sign: 1 | -1, description: string): Shortcut => ({
  id,
  group: "Mask",
  keys: [{ key }],
  description,
  repeat: true,
  // on the slider's 5% grid
  run: (app) => app.setOpacity(Math.round((app.opacity + sign * OPACITY_STEP) * 20) / 20),
});

const tool = (id: string, keys: KeyCombo[], t: ShortcutApp["editTool"], description: string): Shortcut => ({
  id,
  group: "Correction",
  keys,
  description,
  run: (app) => (!app.result || app.editTool === t ? false : app.setEditTool(t)),
});

export const SHORTCUTS: readonly Shortcut[] = [
  // niivue steps along its RAS axes (niivueController.stepSlice): +1 is superior, anterior or right
  // whatever the scan's own voxel order, so the slice number shown may count down
  step("slice-next", "ArrowUp", 1, "One slice up in Axial and Multiplanar, forward in Coronal, right in Sagittal"),
  step("slice-previous", "ArrowDown", -1, "One slice down, back or left"),
  step("slice-next-10", "PageUp", 10, "10 slices up, forward or right"),
  step("slice-previous-10", "PageDown", -10, "10 slices down, back or left"),
  view(1, "axial", "Axial"),
  view(2, "coronal", "Coronal"),
  view(3, "sagittal", "Sagittal"),
  view(4, "multiplanar", "Multiplanar"),
  view(5, "render", "3D"),

  { id: "mask-toggle", group: "Mask", keys: [{ key: "m" }], description: "Mask on / off", run: (app) => (app.result ? app.setMaskVisible(!app.maskVisible) : false) },
  opacity("opacity-down", "[", -1, "Mask opacity −10%"),
  opacity("opacity-up", "]", 1, "Mask opacity +10%"),
  {
    id: "compare-flip",
    group: "Mask",
    keys: [{ key: "t" }],
    description: "Flip between base and adapter mask (compare view)",
    run: (app) => app.flipComparison(),
  },

  tool("tool-brush", [{ key: "b" }], "brush", "Brush: paint the class chosen in the Mask legend"),
  tool("tool-eraser", [{ key: "e" }], "eraser", "Eraser: paint background"),
  tool("tool-fill", [{ key: "f" }], "fill", "Fill: click a region of the slice to give it the chosen class"),
  tool("tool-navigate", [{ key: "n" }], null, "Navigate (leave brush, eraser or fill)"),
  {
    id: "interpolate",
    group: "Correction",
    keys: [{ key: "i" }],
    description: "Interpolate the chosen class between corrected slices of the view",
    // refused, it says why (editNote), so the key is taken either way
    run: (app) => (app.result ? void app.interpolateClass() : false),
  },
  { id: "undo", group: "Correction", keys: [{ key: "z", mod: true, shift: false }], description: "Undo the last stroke, fill or interpolation", repeat: true, run: (app) => (app.undoStack.length ? app.undo() : false) },
  {
    id: "redo",
    group: "Correction",
    keys: [
      { key: "z", mod: true, shift: true },
      { key: "y", mod: true },
    ],
    description: "Redo",
    repeat: true,
    run: (app) => (app.redoStack.length ? app.redo() : false),
  },

  {
    id: "segment",
    group: "Segmentation",
    keys: [{ key: "Enter" }, { key: "s" }],
    description: "Segment the scan",
    run: (app) => (app.canSegment() ? void app.runSegmentation() : false),
  },
  {
    id: "cancel",
    group: "Segmentation",
    keys: [{ key: "Escape" }],
    description: "Cancel the running segmentation; leave the correction tool",
    run: (app) => {
      const running = app.activeJob?.kind === "segmenting" || app.activeJob?.kind === "comparing";
      const tool = app.editTool !== null;
      if (running) app.cancelSegmentation();
      if (tool) app.setEditTool(null);
      return running || tool;
    },
  },

  { id: "help", group: "Help", keys: [{ key: "?" }], description: "Show or hide this list", run: (app) => app.setShortcutsOpen(!app.shortcutsOpen) },
];

export const GROUPS: readonly ShortcutGroup[] = ["Slices and views", "Mask", "Correction", "Segmentation", "Help"];

/** Whether `e` presses `combo`. AltGr (Ctrl+Alt on Windows) counts as no modifier for the character it types. */
export function comboMatches(combo: KeyCombo, e: KeyLike): boolean {
  const altGr = e.ctrlKey && e.altKey && !e.metaKey;
  if (e.altKey && !altGr) return false;
  const mod = !altGr && (e.ctrlKey || e.metaKey);
  if (!!combo.mod !== mod) return false;
  if (combo.shift !== undefined && combo.shift !== e.shiftKey) return false;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  return key === combo.key || (combo.code !== undefined && !altGr && e.code === combo.code);
}

/** The table's row that `e` presses, or null. A held-down key repeats only rows marked `repeat`. */
export function matchShortcut(e: KeyLike, table: readonly Shortcut[] = SHORTCUTS): Shortcut | null {
  const row = table.find((s) => s.keys.some((c) => comboMatches(c, e))) ?? null;
  return row && e.repeat && !row.repeat ? null : row;
}

/** The element kinds that own their keys: shortcuts never fire while one of these has focus. */
const TYPING = "input, select, textarea, [contenteditable]:not([contenteditable='false']), [role='textbox'], [role='combobox'], [role='menu'], [role='listbox'], [role='slider'], [role='spinbutton']";
/** Controls that Enter and Space activate: those keys stay theirs. */
const ACTIVATES = "button, a[href], summary, [role='button'], [role='link'], [role='tab'], [role='menuitem'], [role='checkbox'], [role='radio'], [role='switch'], [role='option']";

/** The part of an element that the focus rules read (an Element, or a stand-in in tests). */
export interface TargetLike {
  closest(selector: string): unknown;
  getAttribute?(name: string): string | null;
}

/** Whether a key pressed with focus on `target` is the page's (a shortcut) rather than the focused control's. */
export function keyIsFree(e: KeyLike, target: TargetLike | null): boolean {
  if (!target || typeof target.closest !== "function") return true;
  if (target.closest(TYPING)) return false;
  // another modal dialog (the DICOM series picker) owns the keyboard while it is open
  if (target.closest("dialog:not([data-shortcuts-help])")) return false;
  // an open popup (the sample menu's button) keeps Esc and the rest until it closes
  if (target.getAttribute?.("aria-expanded") === "true") return false;
  if ((e.key === "Enter" || e.key === " ") && target.closest(ACTIVATES)) return false;
  return true;
}

const NAMES: Record<string, string> = {
  ArrowUp: "↑",
  ArrowDown: "↓",
  ArrowLeft: "←",
  ArrowRight: "→",
  PageUp: "Page Up",
  PageDown: "Page Down",
  Escape: "Esc",
  " ": "Space",
};

/** The keys of one combo as shown on key caps: ["Ctrl", "Shift", "Z"]. */
export function comboCaps(c: KeyCombo): string[] {
  const caps = [];
  if (c.mod) caps.push("Ctrl");
  if (c.shift) caps.push("Shift");
  caps.push(NAMES[c.key] ?? (c.key.length === 1 ? c.key.toUpperCase() : c.key));
  return caps;
}

/**
 * The table as the README's Keyboard section gives it (a unit test holds the README to it):
 * one row per shortcut, in the help's order, keys in words.
 */
export function shortcutsMarkdown(table: readonly Shortcut[] = SHORTCUTS): string {
  const rows = GROUPS.flatMap((g) => table.filter((s) => s.group === g)).map((s) => `| ${keysLabel(s.id, table)} | ${s.description} |`);
  return ["| Keys | Does |", "|---|---|", ...rows].join("\n");
}

/** A shortcut's keys in words, for tooltips: "Ctrl+Shift+Z or Ctrl+Y". */
export function keysLabel(id: string, table: readonly Shortcut[] = SHORTCUTS): string {
  const row = table.find((s) => s.id === id);
  if (!row) throw new Error(`no shortcut "${id}"`);
  return row.keys.map((c) => comboCaps(c).join("+")).join(" or ");
}
