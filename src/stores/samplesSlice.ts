import { parseSampleIndex, type SampleSite } from "../core/samples";
import { message, type Slice } from "./types";

export interface SamplesSlice {
  samples: SampleSite[];
  samplesError: string | null;
  /** The sample being fetched, by id. */
  sampleLoading: string | null;
  loadSamples: () => Promise<void>;
  /** Opens a sample site: its scan, its reference label (with its convention) and its adapter selected. */
  openSample: (id: string) => Promise<void>;
}

const samplesRoot = () => new URL(`${import.meta.env.BASE_URL}samples/`, location.href).href;

export async function fetchSampleFile(path: string): Promise<Uint8Array> {
  const res = await fetch(new URL(path, samplesRoot()).href);
  if (!res.ok) throw new Error(`could not read sample file ${path} (HTTP ${res.status})`);
  return new Uint8Array(await res.arrayBuffer());
}

export const createSamplesSlice: Slice<SamplesSlice> = (set, get) => {
  /** Bumped by every sample opened: one whose files arrive after a later choice is dropped. */
  let opening = 0;
  return {
  samples: [],
  samplesError: null,
  sampleLoading: null,
  loadSamples: async () => {
    try {
      const res = await fetch(`${samplesRoot()}index.json`);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      set({ samples: parseSampleIndex(await res.json()), samplesError: null });
    } catch (e) {
      set({ samplesError: `The built-in samples could not be listed: ${message(e)}` });
    }
  },
  openSample: async (id) => {
    const site = get().samples.find((s) => s.id === id);
    if (!site) return;
    // the sample replaces the scan: corrections not saved are asked about first
    await get().guardCorrections(`open the sample ${site.name}`, async () => {
      const mine = ++opening;
      const scanBefore = get().scan;
      // another sample chosen, or another scan opened, since this one was
      const overtaken = () => mine !== opening || get().scan !== scanBefore;
      set({ sampleLoading: id, samplesError: null });
      try {
        const [image, label] = await Promise.all([fetchSampleFile(site.image), fetchSampleFile(site.label)]);
        const { volume: labelVolume } = await get().volumeReader(label, site.label, 0);
        if (overtaken()) return;
        await get().openScan(site.image.split("/").pop()!, image, { id: site.id, name: site.name, synthetic: site.synthetic });
        if (mine !== opening || get().scan?.sample?.id !== id) return; // overtaken, or the scan did not open: its error is shown
        get().setReference(site.label.split("/").pop()!, labelVolume, site.convention);
        if (get().manifest?.adapters.shipped.some((a) => a.name === site.adapter)) await get().selectAdapter(site.adapter);
      } catch (e) {
        if (mine === opening) set({ samplesError: `Sample ${site.name} could not be opened: ${message(e)}` });
      } finally {
        if (mine === opening) set({ sampleLoading: null });
      }
    });
  },
  };
};
