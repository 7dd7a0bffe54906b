import { z } from "zod";
import { conventionId } from "../metrics/conventions";

/** public/samples/index.json: the built-in sample sites (a scan, its reference label, its adapter). */
const SampleSite = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  name: z.string().min(1),
  /** Made by the project's training code, not scanned: every place that shows it says so. */
  synthetic: z.boolean(),
  description: z.string(),
  /** Paths relative to the index. */
  image: z.string().min(1),
  label: z.string().min(1),
  /** One of the default model's conventions (its manifest's labelConventions). */
  convention: z.string().min(1).transform(conventionId),
  /** A shipped adapter of the default model (its manifest's adapters.shipped[].name). */
  adapter: z.string().min(1),
  licence: z.string().min(1),
  source: z.string(),
  /**
   * A multi-case site: every case (image, label; `image`/`label` above is the one Open sample shows).
   * The sample study scores them all; those the site's adapter learnt from are marked (their sha256 is in it).
   */
  cases: z.array(z.object({ id: z.string().min(1), image: z.string().min(1), label: z.string().min(1) })).optional(),
});

const SampleIndex = z.object({ schemaVersion: z.literal(1), sites: z.array(SampleSite).min(1) });

export type SampleSite = z.infer<typeof SampleSite>;

export function parseSampleIndex(json: unknown): SampleSite[] {
  const parsed = SampleIndex.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`samples/index.json: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return parsed.data.sites;
}

/** How a sample is named wherever it is shown: synthetic ones say so. */
export const sampleTitle = (s: Pick<SampleSite, "name" | "synthetic">) => (s.synthetic && !/synthetic/i.test(s.name) ? `${s.name} (synthetic)` : s.name);

/** Every case of a sample site: its listed cases, else its one scan and label. */
export const sampleCases = (s: SampleSite) => s.cases ?? [{ id: s.id, image: s.image, label: s.label }];
