import { useLayoutEffect, useRef } from "react";

/**
 * A <dialog> shown modal while `open` holds, closed when it stops. A layout effect: the dialog
 * opens in the same task as what opened it (a key), before the next key arrives.
 */
export function useModalDialog(open: boolean) {
  const dialog = useRef<HTMLDialogElement>(null);
  useLayoutEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    else if (!open && d.open) d.close();
  }, [open]);
  return dialog;
}
