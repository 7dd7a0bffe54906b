import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { comboCaps, comboMatches, GROUPS, keyIsFree, keysLabel, matchShortcut, shortcutsMarkdown, SHORTCUTS, type KeyLike, type ShortcutApp, type TargetLike } from "./shortcuts";

/** A keydown as the browser reports it: no modifiers unless given. */
const key = (k: string, more: Partial<KeyLike> = {}): KeyLike => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...more });
const id = (e: KeyLike) => matchShortcut(e)?.id ?? null;

/** A focused element that matches the given selectors (what Element.closest would find). */
const focused = (matches: (selector: string) => boolean, attrs: Record<string, string> = {}): TargetLike => ({
  closest: (sel) => (sel.split(",").some((s) => matches(s.trim())) ? {} : null),
  getAttribute: (n) => attrs[n] ?? null,
});

describe("the shortcut table", () => {
  it("has unique ids, a known group and a description for every row", () => {
    expect(new Set(SHORTCUTS.map((s) => s.id)).size).toBe(SHORTCUTS.length);
    for (const s of SHORTCUTS) {
      expect(GROUPS).toContain(s.group);
      expect(s.description.length).toBeGreaterThan(3);
      expect(s.keys.length).toBeGreaterThan(0);
    }
  });

  it("gives every key combo to one row only", () => {
    // each combo, pressed as a browser would report it, finds its own row
    for (const s of SHORTCUTS)
      for (const c of s.keys) {
        const e = key(c.key.length === 1 && c.shift ? c.key.toUpperCase() : c.key, { ctrlKey: !!c.mod, shiftKey: !!c.shift });
        expect(id(e), `${s.id}: ${comboCaps(c).join("+")}`).toBe(s.id);
        expect(SHORTCUTS.filter((t) => t.keys.some((d) => comboMatches(d, e))).map((t) => t.id)).toEqual([s.id]);
      }
  });

  it("covers what the issue asks for", () => {
    expect(id(key("ArrowUp"))).toBe("slice-next");
    expect(id(key("ArrowDown"))).toBe("slice-previous");
    expect(id(key("PageUp"))).toBe("slice-next-10");
    expect(id(key("PageDown"))).toBe("slice-previous-10");
    expect(["1", "2", "3", "4", "5"].map((k) => id(key(k)))).toEqual(["view-axial", "view-coronal", "view-sagittal", "view-multiplanar", "view-render"]);
    expect(id(key("["))).toBe("opacity-down");
    expect(id(key("]"))).toBe("opacity-up");
    expect(id(key("m"))).toBe("mask-toggle");
    expect(id(key("Enter"))).toBe("segment");
    expect(id(key("s"))).toBe("segment");
    expect(id(key("Escape"))).toBe("cancel");
    expect(id(key("?", { shiftKey: true }))).toBe("help");
    expect(id(key("f"))).toBe("tool-fill");
    expect(id(key("i"))).toBe("interpolate");
  });
});

describe("matching a key press", () => {
  it("undo and redo: Ctrl or ⌘, Shift decides, Ctrl+Y redoes", () => {
    expect(id(key("z", { ctrlKey: true }))).toBe("undo");
    expect(id(key("z", { metaKey: true }))).toBe("undo");
    expect(id(key("Z", { ctrlKey: true, shiftKey: true }))).toBe("redo");
    expect(id(key("Z", { metaKey: true, shiftKey: true }))).toBe("redo");
    expect(id(key("y", { ctrlKey: true }))).toBe("redo");
    expect(id(key("z"))).toBeNull(); // plain Z is nothing
  });

  it("letters ignore case (Caps Lock, Shift) but not Ctrl or Alt", () => {
    expect(id(key("M"))).toBe("mask-toggle");
    expect(id(key("B", { shiftKey: true }))).toBe("tool-brush");
    expect(id(key("m", { ctrlKey: true }))).toBeNull();
    expect(id(key("m", { altKey: true }))).toBeNull();
    expect(id(key("s", { metaKey: true }))).toBeNull(); // ⌘S stays the browser's
    expect(id(key("1", { altKey: true }))).toBeNull();
  });

  it("digits by key or by physical key (AZERTY types & on the 1 key)", () => {
    expect(id(key("&", { code: "Digit1" }))).toBe("view-axial");
    expect(id(key("é", { code: "Digit2" }))).toBe("view-coronal");
    expect(id(key("2", { code: "Numpad2" }))).toBe("view-coronal");
  });

  it("AltGr (Ctrl+Alt) typing [ or ] on a German layout is the bare key", () => {
    expect(id(key("[", { ctrlKey: true, altKey: true, code: "Digit8" }))).toBe("opacity-down");
    expect(id(key("]", { ctrlKey: true, altKey: true, code: "Digit9" }))).toBe("opacity-up");
    // ... and does not turn the 8/9 keys into view switches
    expect(id(key("{", { ctrlKey: true, altKey: true, code: "Digit7" }))).toBeNull();
  });

  it("a held key repeats slice steps, opacity and undo, not toggles or Segment", () => {
    expect(id(key("ArrowUp", { repeat: true }))).toBe("slice-next");
    expect(id(key("]", { repeat: true }))).toBe("opacity-up");
    expect(id(key("z", { ctrlKey: true, repeat: true }))).toBe("undo");
    expect(id(key("m", { repeat: true }))).toBeNull();
    expect(id(key("Enter", { repeat: true }))).toBeNull();
    expect(id(key("?", { shiftKey: true, repeat: true }))).toBeNull();
  });

  it("keys outside the table match nothing", () => {
    for (const k of ["a", "x", "v", "ArrowLeft", "Tab", " ", "6", "0", "Home"]) expect(id(key(k)), k).toBeNull();
  });
});

describe("where the focus is", () => {
  const is = (tags: string[]) => focused((sel) => tags.includes(sel));
  it("fields keep their keys: inputs, selects, textareas, editable text, sliders, menus", () => {
    for (const t of ["input", "select", "textarea", "[contenteditable]:not([contenteditable='false'])", "[role='menu']", "[role='slider']"]) expect(keyIsFree(key("1"), is([t])), t).toBe(false);
  });
  it("a button keeps Enter and Space, not letters or Esc", () => {
    expect(keyIsFree(key("Enter"), is(["button"]))).toBe(false);
    expect(keyIsFree(key(" "), is(["[role='tab']"]))).toBe(false);
    expect(keyIsFree(key("s"), is(["button"]))).toBe(true);
    expect(keyIsFree(key("Escape"), is(["button"]))).toBe(true);
  });
  it("an open popup's button keeps every key", () => {
    expect(keyIsFree(key("Escape"), focused(() => false, { "aria-expanded": "true" }))).toBe(false);
    expect(keyIsFree(key("Escape"), focused(() => false, { "aria-expanded": "false" }))).toBe(true);
  });
  it("the page itself or the viewer's canvas: the key is a shortcut", () => {
    expect(keyIsFree(key("Enter"), null)).toBe(true);
    expect(keyIsFree(key("Enter"), is([]))).toBe(true);
  });
});

describe("what a row does", () => {
  /** Just enough of the store for the actions; every setter a spy. */
  const app = (over: Partial<ShortcutApp> & { canRun?: boolean } = {}): ShortcutApp => ({
    scan: {},
    result: {},
    compare: null,
    viewMode: "axial",
    opacity: 0.5,
    maskVisible: true,
    editTool: null,
    undoStack: [],
    redoStack: [],
    shortcutsOpen: false,
    activeJob: null,
    canSegment: () => over.canRun ?? true,
    setViewMode: vi.fn(),
    stepSlice: vi.fn(),
    setOpacity: vi.fn(),
    setMaskVisible: vi.fn(),
    setEditTool: vi.fn(),
    interpolateClass: vi.fn(() => null),
    undo: vi.fn(),
    redo: vi.fn(),
    runSegmentation: vi.fn(async () => {}),
    cancelSegmentation: vi.fn(),
    flipComparison: vi.fn(() => true),
    setShortcutsOpen: vi.fn(),
    ...over,
  });
  const run = (rowId: string, a: ShortcutApp) => SHORTCUTS.find((s) => s.id === rowId)!.run(a);

  it("steps slices in 2D views, not in 3D or without a scan", () => {
    const a = app();
    run("slice-previous-10", a);
    expect(a.stepSlice).toHaveBeenCalledWith(-10);
    expect(run("slice-next", app({ viewMode: "render" }))).toBe(false);
    expect(run("slice-next", app({ scan: null }))).toBe(false);
  });

  it("opacity moves 10% on the slider's 5% grid (the store keeps it within 0–100%)", () => {
    const a = app({ opacity: 0.55 });
    run("opacity-up", a);
    expect(a.setOpacity).toHaveBeenCalledWith(0.65);
    const b = app({ opacity: 0.3 });
    run("opacity-down", b);
    expect(b.setOpacity).toHaveBeenCalledWith(0.2);
  });

  it("M flips the mask only when there is one", () => {
    const a = app();
    run("mask-toggle", a);
    expect(a.setMaskVisible).toHaveBeenCalledWith(false);
    expect(run("mask-toggle", app({ result: null }))).toBe(false);
  });

  it("Segment only when Segment can run (never restarts a run)", () => {
    const a = app();
    run("segment", a);
    expect(a.runSegmentation).toHaveBeenCalledOnce();
    const b = app({ canRun: false });
    expect(run("segment", b)).toBe(false);
    expect(b.runSegmentation).not.toHaveBeenCalled();
  });

  it("Esc cancels a run and leaves the brush; with neither, the key is not taken", () => {
    const a = app({ activeJob: { kind: "segmenting" }, editTool: "brush" });
    expect(run("cancel", a)).toBe(true);
    expect(a.cancelSegmentation).toHaveBeenCalledOnce();
    expect(a.setEditTool).toHaveBeenCalledWith(null);
    expect(run("cancel", app())).toBe(false);
  });

  it("undo and redo only with something to undo or redo", () => {
    expect(run("undo", app())).toBe(false);
    const a = app({ undoStack: [{}] });
    run("undo", a);
    expect(a.undo).toHaveBeenCalledOnce();
  });

  it("F picks the fill tool and I interpolates, only with a mask to correct", () => {
    const a = app();
    run("tool-fill", a);
    expect(a.setEditTool).toHaveBeenCalledWith("fill");
    expect(run("tool-fill", app({ editTool: "fill" }))).toBe(false);
    run("interpolate", a);
    expect(a.interpolateClass).toHaveBeenCalledOnce();
    const none = app({ result: null });
    expect([run("tool-fill", none), run("interpolate", none)]).toEqual([false, false]);
    expect(none.interpolateClass).not.toHaveBeenCalled();
  });

  it("T flips the compare view's masks; without a pair the key is not taken", () => {
    const a = app();
    run("compare-flip", a);
    expect(a.flipComparison).toHaveBeenCalledOnce();
    expect(run("compare-flip", app({ flipComparison: () => false }))).toBe(false);
  });
});

describe("keys as shown", () => {
  it("key caps and labels", () => {
    expect(comboCaps({ key: "z", mod: true, shift: true })).toEqual(["Ctrl", "Shift", "Z"]);
    expect(comboCaps({ key: "ArrowUp" })).toEqual(["↑"]);
    expect(comboCaps({ key: "Escape" })).toEqual(["Esc"]);
    expect(keysLabel("redo")).toBe("Ctrl+Shift+Z or Ctrl+Y");
    expect(keysLabel("segment")).toBe("Enter or S");
    expect(() => keysLabel("nope")).toThrow();
  });
});

// The README once said ↑ went back a slice while the help (and the keys) went on: the README's
// table is now the help's own, written by shortcutsMarkdown().
describe("the README's Keyboard section", () => {
  const readme = readFileSync(resolve(import.meta.dirname, "../../../README.md"), "utf8");
  const section = readme.slice(readme.indexOf("### Keyboard"), readme.indexOf("\n## ", readme.indexOf("### Keyboard")));

  it("is the table the keys run and the ? help lists", () => {
    expect(section).toContain(shortcutsMarkdown());
  });

  it("says what ↑ and ↓ do: ↑ one slice on (up, forward or right), ↓ one back", () => {
    const row = (caps: string) => section.split("\n").find((l) => l.startsWith(`| ${caps} |`)) ?? "";
    expect(matchShortcut({ key: "ArrowUp", ctrlKey: false, metaKey: false, altKey: false, shiftKey: false })?.id).toBe("slice-next");
    expect(row("↑")).toMatch(/up .*forward .*right/);
    expect(row("↓")).toMatch(/down, back or left/);
  });
});
