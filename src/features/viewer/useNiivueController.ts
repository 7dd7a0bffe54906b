import { useEffect, useRef, type RefObject } from "react";
import { NiivueController, type ControllerEvents } from "./niivueController";

/**
 * One niivue controller per mounted canvas, kept in `ctlRef`. Created once: the events are read
 * through a ref, so new handlers never rebuild it; StrictMode's trial unmount does not destroy it
 * (the disposal waits a task and is called off when the canvas mounts again).
 */
export function useNiivueController(canvasRef: RefObject<HTMLCanvasElement | null>, ctlRef: RefObject<NiivueController | null>, events: ControllerEvents) {
  const latest = useRef(events);
  useEffect(() => {
    latest.current = events;
  });
  useEffect(() => {
    let ctl = ctlRef.current;
    if (ctl?.disposeTimer) {
      clearTimeout(ctl.disposeTimer);
      ctl.disposeTimer = null;
    }
    if (!ctl) {
      ctl = new NiivueController(canvasRef.current!, {
        onLocation: (mm) => latest.current.onLocation(mm),
        onHover: (mm) => latest.current.onHover(mm),
        onWindow: (min, max) => latest.current.onWindow(min, max),
        onError: (message) => latest.current.onError(message),
        onNotice: (message) => latest.current.onNotice(message),
        onDrawing: (what) => latest.current.onDrawing(what),
      });
      ctlRef.current = ctl;
    }
    const mine = ctl;
    return () => {
      mine.disposeTimer = setTimeout(() => {
        mine.dispose();
        if (ctlRef.current === mine) ctlRef.current = null;
      }, 0);
    };
  }, [canvasRef, ctlRef]);
}
