import { Alert } from "../../components/Alert";
import { Field, selectClass } from "../../components/Field";
import { FileButton } from "../../components/FileButton";
import { useApp } from "../../stores/store";

/** Files from the file or folder picker, with their paths inside the chosen folder. */
const openModel = (files: File[]) => void useApp.getState().openModelFiles(files.map((file) => ({ path: file.webkitRelativePath || file.name, file })));

/** The model select, "Open model…" from disk, and why a model opened from disk was refused. */
export function ModelPicker({ busy }: { busy: boolean }) {
  const models = useApp((s) => s.models);
  const modelId = useApp((s) => s.modelId);
  const modelOpenError = useApp((s) => s.modelOpenError);
  const { selectModel, dismissModelOpenError } = useApp.getState();
  return (
    <>
      <Field label="Model">
        {(id) => (
          <select id={id} className={selectClass} value={modelId ?? ""} disabled={models.length === 0 || busy} onChange={(e) => void selectModel(e.target.value)}>
            {models.length === 0 && <option value="">No models found</option>}
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <div className="flex flex-wrap items-center gap-2">
        <FileButton label="Open model…" onFiles={openModel} disabled={busy} directory title="A model folder: manifest.json, model.onnx and optional adapters/" />
        <FileButton label="Model files…" onFiles={openModel} disabled={busy} multiple title="manifest.json and model.onnx (and the other files its manifest names)" />
      </div>
      {modelOpenError && (
        <Alert title="This model cannot be used" onDismiss={dismissModelOpenError}>
          <p>{modelOpenError}</p>
          <p className="mt-1 text-red-200/80">The model in use stays. Fix the named field or file, or ask the model's maker for a complete folder.</p>
        </Alert>
      )}
    </>
  );
}
