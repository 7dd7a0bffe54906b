// A stubbed fetch for the app's models folder in store tests: no network, answers from disk.

/** What the stub answers for one path instead of the file: other bytes, an HTTP status, or the answer held until `hold` settles. */
export interface Served {
  bytes?: Uint8Array;
  status?: number;
  hold?: Promise<void>;
}

/**
 * fetch for http://localhost/models/…: `served()` overrides a path (relative to models/), else
 * `read(path)` gives the file (a throw answers 404); every URL asked for goes to `asked`.
 */
export const modelsFetch =
  (served: () => Record<string, Served>, asked: (url: string) => void, read: (path: string) => Uint8Array) =>
  async (input: string | URL | Request): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input);
    asked(url);
    const path = url.replace("http://localhost/models/", "");
    const override = served()[path];
    await override?.hold;
    if (override?.status) return new Response("not found", { status: override.status });
    try {
      return new Response((override?.bytes ?? read(path)) as Uint8Array<ArrayBuffer>);
    } catch {
      return new Response("not found", { status: 404 });
    }
  };
