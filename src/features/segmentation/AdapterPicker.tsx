import { useId, type ChangeEvent } from "react";
import { Alert } from "../../components/Alert";
import { Field, selectClass } from "../../components/Field";
import { contrastFamily, type ContrastProfile } from "../../core/adapters/profile";
import { availableAdapters, scanProfileOf } from "../../stores/adapterSlice";
import { useApp } from "../../stores/store";
import { segmenting } from "../../stores/workerSlice";

const BASE = "__base__";

/** Choose the site adapter for the next run, or load one (adapter_config.json + .safetensors) from disk. */
export function AdapterPicker() {
  const manifest = useApp((s) => s.manifest);
  const adapter = useApp((s) => s.adapter);
  const fileAdapters = useApp((s) => s.fileAdapters);
  const adapterStatus = useApp((s) => s.adapterStatus);
  const adapterError = useApp((s) => s.adapterError);
  // the mask on screen is the selected adapter's: not changed while a segmentation or comparison runs
  const running = useApp(segmenting);
  const { selectAdapter, loadAdapterFiles, dismissAdapterError } = useApp.getState();
  const inputId = useId();
  const options = availableAdapters({ manifest, fileAdapters });
  // The open scan's contrast under its shown mask (measured in the worker), or before any run under
  // its reference or the base's mask of a slab of it, against the scans the adapter learnt from.
  const scanProfile = useApp(scanProfileOf);
  const measuring = useApp((s) => s.scanContrast?.scan === s.scan && s.scanContrast?.status === "measuring" && !s.result?.profile);
  const learnt = adapter?.config.contrasts ?? [];
  const scanFamily = scanProfile ? contrastFamily(scanProfile) : null;
  const learntFamilies = new Set(learnt.map((c) => contrastFamily(c.profile)));
  const mismatch = scanFamily !== null && learnt.length > 0 && !learntFamilies.has(scanFamily);
  const showProfile = (p: ContrastProfile) => Object.entries(p).map(([k, v]) => `${k} ${v === null ? "—" : v.toFixed(2)}`).join(" · ");

  const onFiles = async (e: ChangeEvent<HTMLInputElement>) => {
    const files = [...(e.target.files ?? [])];
    e.target.value = "";
    if (!files.length) return;
    await loadAdapterFiles(await Promise.all(files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) }))));
  };

  const slots = manifest?.adapters.slots.length ?? 0;
  return (
    <div className="space-y-2">
      <Field
        label="Adapter"
        hint={<span className="text-[11px] text-slate-500">{adapterStatus === "loading" ? "loading…" : adapter ? `${adapter.parameters.toLocaleString()} parameters` : "base model"}</span>}
      >
        {(id) => (
          <select
            id={id}
            className={selectClass}
            value={adapter?.name ?? BASE}
            disabled={!manifest || slots === 0 || running}
            onChange={(e) => void selectAdapter(e.target.value === BASE ? null : e.target.value)}
          >
            <option value={BASE}>None (base)</option>
            {options.map((a) => (
              <option key={a.name} value={a.name} title={a.description}>
                {a.name}
                {a.source === "shipped" && a.site ? ` — ${a.description || a.site}` : ""}
              </option>
            ))}
          </select>
        )}
      </Field>
      <div className="flex items-center gap-2">
        <input id={inputId} type="file" multiple accept=".json,.safetensors" onChange={(e) => void onFiles(e)} className="peer sr-only" disabled={!manifest || slots === 0 || running} />
        <label
          htmlFor={inputId}
          title={running ? "Wait for the run to end: the mask on screen is the selected adapter's" : undefined}
          className="shrink-0 cursor-pointer select-none whitespace-nowrap peer-disabled:cursor-not-allowed peer-disabled:opacity-50 rounded-md border border-slate-700 bg-slate-800 px-2.5 py-1 text-xs font-medium text-slate-100 hover:bg-slate-700 peer-focus-visible:ring-2 peer-focus-visible:ring-sky-400"
        >
          Load adapter…
        </label>
        <span className="text-[11px] text-slate-500">adapter_config.json + .safetensors</span>
      </div>
      {adapter && learnt.length > 0 && (
        <p aria-label="Adapter trained on" className="text-[11px] text-slate-500" title={learnt.map((c) => `${c.image}: ${showProfile(c.profile)}`).join("\n")}>
          Learnt from {learnt.map((c) => `${c.image.split("/").pop()} (${contrastFamily(c.profile) ?? "?"})`).join(", ")}
        </p>
      )}
      {adapter && learnt.length > 0 && measuring && (
        <p role="note" aria-label="Contrast check" className="text-[11px] text-slate-500">
          Checking this scan's contrast against what {adapter.name} learnt from…
        </p>
      )}
      {adapter && mismatch && scanProfile && (
        <div role="alert" aria-label="Contrast mismatch" className="rounded-md border border-amber-500/40 bg-amber-500/10 px-2.5 py-2 text-xs text-amber-200">
          This scan looks {scanFamily} ({showProfile(scanProfile)}), but {adapter.name} learnt only from {[...learntFamilies].join(" and ")} scans. An adapter can make a contrast it never saw
          worse: compare it with the base, or train one for this contrast.
        </div>
      )}
      {adapterError && (
        <Alert title="Adapter not used" onDismiss={dismissAdapterError}>
          <p>{adapterError}</p>
          <p className="mt-1 text-red-200/80">The model keeps running {adapter ? `with adapter ${adapter.name}` : "as the base"}; nothing else changed.</p>
        </Alert>
      )}
    </div>
  );
}
