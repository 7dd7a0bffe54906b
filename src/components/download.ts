/** Saves bytes or text as a download (a blob: URL of this page's origin; nothing is sent anywhere). */
export function download(name: string, data: Blob) {
  const url = URL.createObjectURL(data);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A value as an indented JSON file. */
export const jsonBlob = (value: unknown) => new Blob([JSON.stringify(value, null, 2) + "\n"], { type: "application/json" });

/** An adapter's two files (PEFT layout) as two downloads. */
export function downloadAdapter(files: { config: Uint8Array; weights: Uint8Array }) {
  download("adapter_config.json", new Blob([files.config as BlobPart], { type: "application/json" }));
  download("adapter_model.safetensors", new Blob([files.weights as BlobPart], { type: "application/octet-stream" }));
}
