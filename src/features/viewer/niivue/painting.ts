// Painting with a correction tool: while a painter is set, a left-drag on the canvas paints
// instead of moving niivue's crosshair. Captured on the canvas's parent, which runs before
// niivue's own canvas listeners: a stroke never reaches niivue as a click or drag.

export interface Painter {
  paint: (mm: [number, number, number]) => void;
  end: () => void;
}

type MmAt = (clientX: number, clientY: number) => [number, number, number] | null;

export class PaintCapture {
  private painter: Painter | null = null;
  private painting = false;

  constructor(private host: HTMLElement, private canvas: HTMLCanvasElement, private mmAt: MmAt) {
    host.addEventListener("mousedown", this.onDown, { capture: true });
    host.addEventListener("mousemove", this.onMove, { capture: true });
    window.addEventListener("mouseup", this.onUp);
  }

  /** Left-drag paints through `painter` (null: the viewer navigates again). */
  setPainter(painter: Painter | null) {
    // a drag under the old painter ends with it (a new result of the mask arrives mid-drag)
    if (this.painting && painter !== this.painter) this.painter?.end();
    this.painting = false;
    this.painter = painter;
    this.canvas.style.cursor = painter ? "crosshair" : "";
  }

  private onDown = (e: MouseEvent) => {
    if (!this.painter || e.button !== 0 || e.target !== this.canvas) return;
    e.stopPropagation();
    e.preventDefault();
    this.canvas.focus();
    this.painting = true;
    const mm = this.mmAt(e.clientX, e.clientY);
    if (mm) this.painter.paint(mm);
  };

  private onMove = (e: MouseEvent) => {
    if (!this.painter || !this.painting) return;
    e.stopPropagation();
    const mm = this.mmAt(e.clientX, e.clientY);
    if (mm) this.painter.paint(mm);
  };

  private onUp = () => {
    if (!this.painting) return;
    this.painting = false;
    this.painter?.end();
  };

  dispose() {
    this.host.removeEventListener("mousedown", this.onDown, { capture: true });
    this.host.removeEventListener("mousemove", this.onMove, { capture: true });
    window.removeEventListener("mouseup", this.onUp);
  }
}
