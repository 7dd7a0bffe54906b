import { Fragment, useEffect, useId } from "react";
import { useModalDialog } from "../../components/useModalDialog";
import { useApp } from "../../stores/store";
import { comboCaps, GROUPS, keyIsFree, matchShortcut, SHORTCUTS } from "./shortcuts";

/**
 * The page's keyboard shortcuts (one listener, running the table in shortcuts.ts) and the help
 * panel that lists the same table: a modal dialog, opened with ? or the viewer's Shortcuts
 * button, closed with Esc, ? or Close; focus goes back where it was.
 */
export function KeyboardShortcuts() {
  const open = useApp((s) => s.shortcutsOpen);
  const dialog = useModalDialog(open);
  const titleId = useId();

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const app = useApp.getState();
      if (app.screen !== "viewer") return;
      const row = matchShortcut(e);
      // while the help is open only ? acts; the dialog itself closes on Esc
      if (!row || (app.shortcutsOpen && row.id !== "help")) return;
      if (!keyIsFree(e, e.target instanceof Element ? e.target : null)) return;
      if (row.run(app) === false) return;
      e.preventDefault();
    };
    // capture: runs before the focused element's own listeners
    window.addEventListener("keydown", onKey, { capture: true });
    return () => window.removeEventListener("keydown", onKey, { capture: true });
  }, []);

  const close = () => useApp.getState().setShortcutsOpen(false);

  return (
    <dialog
      ref={dialog}
      data-shortcuts-help
      aria-labelledby={titleId}
      // Esc: the store learns at once (the close event comes a task later, maybe after the next key)
      onCancel={close}
      // a close event from an earlier close can arrive after ? opened the dialog again: only a closed dialog counts
      onClose={() => dialog.current?.open || close()}
      // a click on the backdrop (the dialog element itself, outside its content) closes it
      onClick={(e) => e.target === e.currentTarget && close()}
      className="m-auto w-[min(52rem,calc(100vw-2rem))] rounded-xl border border-slate-700 bg-slate-900 p-0 text-slate-200 shadow-2xl backdrop:bg-slate-950/70"
    >
      <div className="p-5">
        <header className="mb-4 flex items-center justify-between gap-4">
          <h2 id={titleId} className="text-base font-semibold text-white">
            Keyboard shortcuts
          </h2>
          <button
            type="button"
            autoFocus
            onClick={close}
            className="rounded-md border border-slate-700 bg-slate-800 px-2.5 py-1 text-xs font-medium text-slate-200 hover:bg-slate-700 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-sky-400"
          >
            Close
          </button>
        </header>
        <div className="gap-8 md:columns-2">
          {GROUPS.map((group) => (
            <section key={group} className="mb-4 break-inside-avoid">
              <h3 className="mb-1 text-[11px] font-semibold uppercase tracking-wider text-slate-400">{group}</h3>
              <table aria-label={group} className="w-full table-fixed text-sm">
                <tbody>
                  {SHORTCUTS.filter((s) => s.group === group).map((s) => (
                    <tr key={s.id} className="border-t border-slate-800 first:border-t-0">
                      <th scope="row" className="w-[10rem] py-1 pr-3 text-left align-top font-normal leading-6">
                        {s.keys.map((c, i) => (
                          <Fragment key={i}>
                            {/* a line may break before "or", never inside one combo */}
                            {i > 0 && " "}
                            <span className="whitespace-nowrap">
                              {i > 0 && <span className="mr-1 text-xs text-slate-500">or</span>}
                              {comboCaps(c).map((cap, j) => (
                                <Fragment key={j}>
                                  {j > 0 && <span className="mx-0.5 text-xs text-slate-500">+</span>}
                                  <kbd className="inline-block min-w-[1.6rem] rounded border border-b-2 border-slate-600 bg-slate-800 px-1.5 py-px text-center font-mono text-xs text-slate-100">{cap}</kbd>
                                </Fragment>
                              ))}
                            </span>
                          </Fragment>
                        ))}
                      </th>
                      <td className="py-1 align-top leading-6 text-slate-300">{s.description}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          ))}
        </div>
        <p className="border-t border-slate-800 pt-3 text-xs text-slate-400">
          Keys do nothing while you type in a field. Ctrl is ⌘ on a Mac. Mouse: scroll for slices, click to move the crosshair, right-drag for window/level.
        </p>
      </div>
    </dialog>
  );
}
