import { busyWith } from "./workerSlice";
import { z } from "zod";
import { mergeStudies, scoredClasses, studyJson, studyModel, type CaseResult, type StudyJson, type StudyModel } from "../core/study";
import type { StudyJob } from "./studySlice";
import type { Slice } from "./types";

// The last study's results, kept in this browser (IndexedDB) across a reload: scores and file
// names only, never image data. A record this version cannot read (another schema, damaged) is
// ignored, as if there were none.

/** A study as it ended, with when and how. */
export interface SavedStudy {
  /** Date.now() when it was saved (the study's end). */
  savedAt: number;
  status: "done" | "cancelled" | "error";
  error: string | null;
  /** Cases the study was run on (its results may be fewer: cancelled or stopped). */
  totalCases: number;
  /** The results as `siteseg study --json` writes them (model, classes, cases, table). */
  study: StudyJson;
}

const SavedSchema = z.object({
  kind: z.literal("siteseg-saved-study"),
  schemaVersion: z.literal(1),
  savedAt: z.number().finite(),
  status: z.enum(["done", "cancelled", "error"]),
  error: z.string().nullable(),
  totalCases: z.number().int().min(0),
  study: z.unknown(),
});

/** The record stored for a study that ended. */
export function savedStudyRecord(model: StudyModel, classes: string[], results: CaseResult[], end: Omit<SavedStudy, "study">) {
  return { kind: "siteseg-saved-study" as const, schemaVersion: 1 as const, ...end, study: studyJson(model, classes, results) };
}

/**
 * A stored record read back, checked as `siteseg merge` checks a study (schema, Dice in [0, 1],
 * each case's mean, the table against its cases); null for anything else.
 */
export function parseSavedStudy(raw: unknown): SavedStudy | null {
  const r = SavedSchema.safeParse(raw);
  if (!r.success || r.data.totalCases < 1) return null;
  try {
    const study = mergeStudies([r.data.study], ["the saved study"]);
    if (!study.cases.length || study.cases.length > r.data.totalCases) return null;
    return { savedAt: r.data.savedAt, status: r.data.status, error: r.data.error, totalCases: r.data.totalCases, study };
  } catch {
    return null;
  }
}

// ---- IndexedDB: one database, one store, one key. Where there is none (unit tests, a private
// window that refuses it), nothing is kept and nothing fails.

const DB = "siteseg";
const STORE = "study";
const KEY = "last";

function open(): Promise<IDBDatabase | null> {
  if (typeof indexedDB === "undefined") return Promise.resolve(null);
  return new Promise((resolve) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => resolve(null);
    req.onblocked = () => resolve(null);
  });
}

/** One request on the store; its result, or undefined where there is no store or the request failed. */
async function request<T>(mode: IDBTransactionMode, make: (store: IDBObjectStore) => IDBRequest<T>): Promise<T | undefined> {
  const db = await open();
  if (!db) return undefined;
  try {
    return await new Promise<T | undefined>((resolve) => {
      const tx = db.transaction(STORE, mode);
      const req = make(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = tx.onabort = () => resolve(undefined);
    });
  } catch {
    return undefined;
  } finally {
    db.close();
  }
}

export const readSavedStudy = async () => parseSavedStudy(await request("readonly", (s) => s.get(KEY)));
export const writeSavedStudy = (record: ReturnType<typeof savedStudyRecord>) => request("readwrite", (s) => s.put(record, KEY));
export const deleteSavedStudy = () => request("readwrite", (s) => s.delete(KEY));

// ---- In the store (part of the study slice)

/** The study results kept in this browser: when, with which model, on which files. */
export interface SavedStudyInfo {
  savedAt: number;
  /** "<model id> <version>". */
  model: string;
  /** The image of each case scored. */
  images: string[];
  /** Cases the study was run on, and how it ended. */
  totalCases: number;
  status: SavedStudy["status"];
  /** The results on screen came from it (restored after a reload). */
  restored: boolean;
}

export interface SavedStudyState {
  /** The last study's results as kept in this browser; null when none are. */
  studySaved: SavedStudyInfo | null;
  /** Once the model is known, once a page: the saved results into an empty study (after a reload). */
  restoreSavedStudy: () => Promise<void>;
  /** Deletes the saved results; restored ones leave the screen too. */
  clearSavedStudy: () => Promise<void>;
}

const infoOf = (saved: SavedStudy, restored: boolean): SavedStudyInfo => ({
  savedAt: saved.savedAt,
  model: `${saved.study.model.id} ${saved.study.model.version}`,
  images: saved.study.cases.map((c) => c.image),
  totalCases: saved.totalCases,
  status: saved.status,
  restored,
});

/** Keeps each study that ends (done, cancelled or stopped) with a case scored; restores and clears the kept one. */
export const createSavedStudy = (idleJob: StudyJob): Slice<SavedStudyState> => (set, get, api) => {
  let restoreTried = false;
  /** The results restored, while they are the ones on screen. */
  let restoredResults: CaseResult[] | null = null;

  const keep = async () => {
    const { manifest, studyResults, studyJob } = get();
    if (!manifest) return;
    const status: SavedStudy["status"] = studyJob.status === "done" || studyJob.status === "error" ? studyJob.status : "cancelled";
    const end = { savedAt: Date.now(), status, error: studyJob.error, totalCases: studyJob.totalCases };
    const record = savedStudyRecord(studyModel(manifest), scoredClasses(manifest), studyResults, end);
    if ((await writeSavedStudy(record)) !== undefined) set({ studySaved: infoOf({ ...end, study: record.study }, false) });
  };
  api.subscribe((now, before) => {
    if (before.studyJob.status === "running" && now.studyJob.status !== "running" && now.studyResults.length) keep().catch(() => undefined); // a convenience: a study not kept stays on screen as it is
  });

  return {
    studySaved: null,
    restoreSavedStudy: async () => {
      const manifest = get().manifest;
      if (restoreTried || !manifest) return;
      restoreTried = true;
      const saved = await readSavedStudy();
      const model = studyModel(manifest);
      if (!saved || saved.study.model.id !== model.id || saved.study.model.version !== model.version) return;
      // only into an empty study: nothing on screen is replaced
      if (get().studyResults.length || get().studyCases.length || busyWith(get()) === "studying") return set({ studySaved: infoOf(saved, false) });
      const done = saved.study.cases.length;
      restoredResults = saved.study.cases;
      set({
        studyResults: restoredResults,
        studyJob: { status: saved.status, error: saved.error, fraction: saved.status === "done" ? 1 : done / saved.totalCases, caseIndex: done - 1, totalCases: saved.totalCases },
        studySaved: infoOf(saved, true),
      });
    },
    clearSavedStudy: async () => {
      await deleteSavedStudy();
      const shown = get().studyResults === restoredResults;
      restoredResults = null;
      set({ studySaved: null, ...(shown ? { studyResults: [], studyJob: idleJob } : {}) });
    },
  };
};
