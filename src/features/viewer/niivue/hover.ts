// The readout under the mouse: world mm of the 2D slice point it is over, once per animation frame.

type MmAt = (clientX: number, clientY: number) => [number, number, number] | null;

export class HoverReadout {
  private frame = 0;
  private at: [number, number] | null = null;

  /** `report` gets world mm, or null when the mouse leaves or points at no slice; `live()` false: nothing to read. */
  constructor(private canvas: HTMLCanvasElement, private mmAt: MmAt, private report: (mm: [number, number, number] | null) => void, private live: () => boolean) {
    canvas.addEventListener("mousemove", this.onMove);
    canvas.addEventListener("mouseleave", this.onLeave);
  }

  private onMove = (e: MouseEvent) => {
    this.at = [e.clientX, e.clientY];
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      if (this.at && this.live()) this.report(this.mmAt(...this.at));
    });
  };

  private onLeave = () => {
    this.at = null;
    this.report(null);
  };

  dispose() {
    this.canvas.removeEventListener("mousemove", this.onMove);
    this.canvas.removeEventListener("mouseleave", this.onLeave);
    if (this.frame) cancelAnimationFrame(this.frame);
  }
}
