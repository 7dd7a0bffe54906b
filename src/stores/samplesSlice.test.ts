import { readFileSync } from "node:fs";
import { resolve, sep } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { writeNifti } from "../core/io";
import { parseManifest, type Manifest } from "../core/manifest";
import { resetApp, useApp } from "./store";

// Opening a built-in sample site through the store, as the "Open sample" menu does: the sample's
// image and label, the model's shipped adapter, all served from the real files in public/ by a
// stubbed fetch (no network, no server). Adapter files are checked against the manifest's sha256
// for real; nothing of the model runs (selecting an adapter needs no worker).

const PUBLIC = resolve(import.meta.dirname, "../../public");
const ORIGIN = "http://siteseg.test/";
const MODEL_URL = `${ORIGIN}models/siteseg-tissue/`;
const manifestJson: unknown = JSON.parse(readFileSync(resolve(PUBLIC, "models/siteseg-tissue/manifest.json"), "utf8"));
const tissue = parseManifest(manifestJson);
const shippedSha = (name: string) => tissue.adapters.shipped.find((a) => a.name === name)?.files?.weights.sha256;

/** What the stubbed server does differently for a path (relative to public/). */
let gates: Map<string, Promise<void>>;
let statuses: Map<string, number>;
let bodies: Map<string, Uint8Array>;
let unreachable: Set<string>;
let requested: string[];

async function serve(input: string | URL | Request): Promise<Response> {
  const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
  if (url.origin !== new URL(ORIGIN).origin) throw new TypeError("fetch failed"); // only the app's own origin exists
  const path = decodeURIComponent(url.pathname).replace(/^\//, "");
  requested.push(path);
  await gates.get(path);
  if (unreachable.has(path)) throw new TypeError("Failed to fetch");
  const status = statuses.get(path);
  if (status) return new Response("", { status });
  const body = bodies.get(path);
  if (body) return new Response(new Uint8Array(body));
  const file = resolve(PUBLIC, path);
  if (!file.startsWith(PUBLIC + sep)) return new Response("", { status: 403 });
  try {
    return new Response(new Uint8Array(readFileSync(file)));
  } catch {
    return new Response("", { status: 404 });
  }
}

/** A gate on `path`: its response waits until the returned function is called. */
function hold(path: string): () => void {
  let open = () => {};
  gates.set(path, new Promise<void>((r) => (open = r)));
  return open;
}

function useModel(manifest: Manifest) {
  useApp.setState({
    models: [{ id: "siteseg-tissue", name: manifest.name, source: { kind: "url", baseUrl: MODEL_URL } }],
    modelId: "siteseg-tissue",
    manifest,
    modelStatus: "ready",
  });
}

const tinyScan = () => writeNifti({ dims: [4, 4, 4], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data: new Uint8Array(64) }, { gzip: false });

beforeEach(async () => {
  resetApp();
  gates = new Map();
  statuses = new Map();
  bodies = new Map();
  unreachable = new Set();
  requested = [];
  vi.stubGlobal("location", { href: ORIGIN });
  vi.stubGlobal("fetch", vi.fn(serve));
  useModel(tissue);
  await useApp.getState().loadSamples();
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the sample list", () => {
  it("lists the sites of samples/index.json, synthetic ones flagged", () => {
    const s = useApp.getState();
    expect(s.samplesError).toBeNull();
    expect(s.samples.map((x) => [x.id, x.name, x.synthetic, x.adapter])).toEqual([
      ["niivue-t1", "FreeSurfer T1", false, "niivue-t1"],
      ["fpg-t2", "Thick-slice T2", false, "fpg-t2"],
      ["synth-pd", "Synthetic PD, 3 mm slices", true, "synth-pd"],
      ["synth-flair", "Synthetic FLAIR, noisy", true, "synth-flair"],
      ["fetal-sb", "Fetal T2 (8 cases)", false, "fetal-sb"],
    ]);
    // a multi-case site lists its cases, the one shown among them
    const fetal = s.samples.find((x) => x.id === "fetal-sb")!;
    expect(fetal.cases).toHaveLength(8);
    expect(fetal.cases!.map((c) => c.image)).toContain(fetal.image);
    // every site's adapter is one the default model ships (else its adapter could never be selected)
    for (const site of s.samples) expect(shippedSha(site.adapter)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a list that cannot be read or parsed says why", async () => {
    resetApp();
    statuses.set("samples/index.json", 500);
    await useApp.getState().loadSamples();
    expect(useApp.getState().samplesError).toBe("The built-in samples could not be listed: HTTP 500");
    expect(useApp.getState().samples).toEqual([]);

    statuses.clear();
    bodies.set("samples/index.json", new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, sites: [] })));
    await useApp.getState().loadSamples();
    expect(useApp.getState().samplesError).toMatch(/^The built-in samples could not be listed: samples\/index\.json: schemaVersion: /);
  });
});

describe("opening a sample", () => {
  it("opens its scan, its reference in the site's convention, and selects its adapter", async () => {
    const opening = useApp.getState().openSample("synth-pd");
    // what the menu and Segment show meanwhile
    expect(useApp.getState().sampleLoading).toBe("synth-pd");
    expect(useApp.getState().canSegment()).toBe(false);
    await opening;
    const s = useApp.getState();
    expect(s.sampleLoading).toBeNull();
    expect(s.samplesError).toBeNull();
    expect(s.scanError).toBeNull();
    expect(s.scan?.name).toBe("pd.nii.gz");
    expect(s.scan?.sample).toEqual({ id: "synth-pd", name: "Synthetic PD, 3 mm slices", synthetic: true });
    expect(s.scan?.volume.dims).toEqual([132, 176, 46]);
    expect(s.reference?.name).toBe("pd_seg.nii.gz");
    expect(s.reference?.values).toContain(2); // FreeSurfer's left white matter
    expect(s.convention).toBe("freesurfer");
    expect(s.conventionGuessed).toBe(false);
    expect(s.evaluationError).toBeNull();
    expect(s.adapter?.name).toBe("synth-pd");
    expect(s.adapter?.sha256).toBe(shippedSha("synth-pd"));
    expect(s.adapterStatus).toBe("idle");
    expect(s.adapterError).toBeNull();
    expect(s.canSegment()).toBe(true);
    expect(requested).toEqual(expect.arrayContaining(["samples/synth-pd/pd.nii.gz", "samples/synth-pd/pd_seg.nii.gz", "models/siteseg-tissue/adapters/synth-pd/adapter_model.safetensors"]));
  });

  it("the thick-slice T2 opens with its GIF reference, the convention set by the site, not guessed", async () => {
    await useApp.getState().openSample("fpg-t2");
    const s = useApp.getState();
    expect(s.scan?.name).toBe("t2.nii.gz");
    expect(s.reference?.name).toBe("t2_seg.nii.gz");
    expect(s.convention).toBe("gif");
    expect(s.conventionGuessed).toBe(false);
    expect(s.adapter?.name).toBe("fpg-t2");
  });

  it("a new sample replaces the last one's scan, reference and adapter", async () => {
    await useApp.getState().openSample("fpg-t2");
    await useApp.getState().openSample("synth-pd");
    const s = useApp.getState();
    expect([s.scan?.name, s.reference?.name, s.convention, s.adapter?.name]).toEqual(["pd.nii.gz", "pd_seg.nii.gz", "freesurfer", "synth-pd"]);
  });

  it("an id that is not in the list does nothing", async () => {
    await useApp.getState().openSample("nowhere");
    const s = useApp.getState();
    expect([s.scan, s.sampleLoading, s.samplesError]).toEqual([null, null, null]);
    expect(requested).toEqual(["samples/index.json"]);
  });
});

describe("a sample that cannot be opened", () => {
  it("a file that is missing is named; the scan, reference and adapter in use stay", async () => {
    await useApp.getState().openSample("synth-pd");
    statuses.set("samples/fpg-t2/t2_seg.nii.gz", 404);
    await useApp.getState().openSample("fpg-t2");
    const s = useApp.getState();
    expect(s.samplesError).toBe("Sample Thick-slice T2 could not be opened: could not read sample file fpg-t2/t2_seg.nii.gz (HTTP 404)");
    expect(s.sampleLoading).toBeNull();
    expect([s.scan?.name, s.reference?.name, s.convention, s.adapter?.name]).toEqual(["pd.nii.gz", "pd_seg.nii.gz", "freesurfer", "synth-pd"]);
  });

  it("a network failure says so, and opening it again once the network is back works", async () => {
    await useApp.getState().openScan("head.nii", tinyScan());
    unreachable.add("samples/synth-pd/pd.nii.gz");
    await useApp.getState().openSample("synth-pd");
    expect(useApp.getState().samplesError).toBe("Sample Synthetic PD, 3 mm slices could not be opened: Failed to fetch");
    expect(useApp.getState().scan?.name).toBe("head.nii");
    unreachable.clear();
    await useApp.getState().openSample("synth-pd");
    expect(useApp.getState().samplesError).toBeNull();
    expect(useApp.getState().scan?.name).toBe("pd.nii.gz");
  });

  it("an image the reader refuses shows the scan's error; nothing of the sample is applied", async () => {
    await useApp.getState().openSample("synth-pd");
    bodies.set("samples/fpg-t2/t2.nii.gz", new Uint8Array(400)); // no NIfTI header, no gzip
    await useApp.getState().openSample("fpg-t2");
    const s = useApp.getState();
    expect(s.scanError).toMatch(/^t2\.nii\.gz: this is not a NIfTI file/);
    expect(s.samplesError).toBeNull(); // one message, the scan's
    expect(s.sampleLoading).toBeNull();
    expect([s.scan?.name, s.reference?.name, s.convention, s.adapter?.name]).toEqual(["pd.nii.gz", "pd_seg.nii.gz", "freesurfer", "synth-pd"]);
  });

  it("an adapter file that does not match the manifest is refused; the scan and reference still open", async () => {
    const weights = "models/siteseg-tissue/adapters/synth-pd/adapter_model.safetensors";
    const bytes = new Uint8Array(readFileSync(resolve(PUBLIC, weights)));
    bytes[bytes.length - 1] ^= 1;
    bodies.set(weights, bytes);
    await useApp.getState().openSample("synth-pd");
    const s = useApp.getState();
    expect(s.scan?.name).toBe("pd.nii.gz");
    expect(s.reference?.name).toBe("pd_seg.nii.gz");
    expect(s.adapter).toBeNull(); // the base stays selected
    expect(s.adapterStatus).toBe("idle");
    expect(s.adapterError).toMatch(/^Adapter synth-pd could not be used: .*adapters\/synth-pd\/adapter_model\.safetensors does not match its manifest \(sha256/);
    expect(s.samplesError).toBeNull();
  });

  it("a model that does not ship the site's adapter opens the sample with the adapter in use unchanged", async () => {
    const other = parseManifest(manifestJson);
    useModel({ ...other, adapters: { ...other.adapters, shipped: other.adapters.shipped.filter((a) => a.name !== "synth-pd") } });
    await useApp.getState().openSample("synth-pd");
    const s = useApp.getState();
    expect(s.scan?.name).toBe("pd.nii.gz");
    expect(s.reference?.name).toBe("pd_seg.nii.gz");
    expect(s.adapter).toBeNull();
    expect(s.adapterError).toBeNull();
    expect(requested.some((p) => p.includes("/adapters/"))).toBe(false);
  });
});

describe("races: the sample clicked last wins", () => {
  // A's files arriving after B has opened must not replace B's scan, reference and adapter.
  it("B opened while A's files are still on their way ends with B's scan, reference and adapter", async () => {
    const releaseA = hold("samples/fpg-t2/t2.nii.gz");
    const a = useApp.getState().openSample("fpg-t2");
    const b = useApp.getState().openSample("synth-pd");
    await b;
    expect(useApp.getState().scan?.name).toBe("pd.nii.gz");
    releaseA();
    await a;
    const s = useApp.getState();
    expect([s.scan?.name, s.scan?.sample?.id, s.reference?.name, s.convention, s.adapter?.name]).toEqual(["pd.nii.gz", "synth-pd", "pd_seg.nii.gz", "freesurfer", "synth-pd"]);
    expect(s.sampleLoading).toBeNull();
    expect(s.samplesError).toBeNull();
  });

  // A's adapter, still loading when B opens, must not be selected over B's scan and reference.
  it("A's adapter arriving after B opened is not selected on B's scan", async () => {
    const releaseA = hold("models/siteseg-tissue/adapters/fpg-t2/adapter_model.safetensors");
    const a = useApp.getState().openSample("fpg-t2");
    await vi.waitFor(() => expect(useApp.getState().adapterStatus).toBe("loading"));
    expect(useApp.getState().scan?.name).toBe("t2.nii.gz");
    await useApp.getState().openSample("synth-pd");
    releaseA();
    await a;
    const s = useApp.getState();
    expect([s.scan?.name, s.reference?.name, s.adapter?.name]).toEqual(["pd.nii.gz", "pd_seg.nii.gz", "synth-pd"]);
  });

  it("A's scan overtaken while it is being read never gets A's reference", async () => {
    // A's files arrive, but its scan is still being read when B is clicked: the newer open wins
    let finishA = () => {};
    const read = useApp.getState().volumeReader;
    useApp.setState({
      volumeReader: (bytes, name, frame, onProgress) =>
        name === "t2.nii.gz" ? new Promise((ok) => (finishA = () => ok(read(bytes, name, frame, onProgress)))) : read(bytes, name, frame, onProgress),
    });
    const a = useApp.getState().openSample("fpg-t2");
    await vi.waitFor(() => expect(useApp.getState().scanBusy).toBe("Opening t2.nii.gz…"));
    const b = useApp.getState().openSample("synth-pd");
    await b;
    finishA();
    await a;
    const s = useApp.getState();
    expect([s.scan?.name, s.reference?.name, s.convention, s.adapter?.name]).toEqual(["pd.nii.gz", "pd_seg.nii.gz", "freesurfer", "synth-pd"]);
    expect(s.samplesError).toBeNull();
    expect(s.sampleLoading).toBeNull();
  });
});
