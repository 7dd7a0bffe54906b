import { Field, selectClass } from "../../components/Field";
import type { BackendPreference } from "../../runtime/ort-web";
import { useApp } from "../../stores/store";

const BACKENDS: { value: BackendPreference; label: string }[] = [
  { value: "auto", label: "Auto" },
  { value: "webgpu", label: "WebGPU" },
  { value: "wasm", label: "WASM" },
];

/** The backend the model should run on (the one in use is in ModelStatus). */
export function BackendPicker({ busy }: { busy: boolean }) {
  const backendPreference = useApp((s) => s.backendPreference);
  const { setBackendPreference } = useApp.getState();
  return (
    <Field label="Backend">
      {(id) => (
        <select id={id} className={selectClass} value={backendPreference} disabled={busy} onChange={(e) => void setBackendPreference(e.target.value as BackendPreference)}>
          {BACKENDS.map((b) => (
            <option key={b.value} value={b.value}>
              {b.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
