/**
 * Where the commands write. Every output is checked before any work (its folder exists and is
 * writable, it is not a folder, it is not one of the command's inputs nor another output), and
 * written whole or not at all: into a hidden temporary file in the same folder, then renamed over
 * the name asked for, so a failed write (a full disk, a size limit) leaves no partial file and
 * keeps whatever the name held before.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { access, mkdir, open, readdir, realpath, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { describeFsError, RuntimeError, UsageError } from "./errors";

/** An output as the user named it: the option (e.g. "--csv") and the path given. */
export interface Output {
  flag: string;
  path: string;
}

/** What a path names once links are followed: the real path (for a file not yet there, its folder's real path and its name) and, when it exists, its device and inode. */
async function identity(path: string): Promise<{ real: string; id: string | null }> {
  const abs = resolve(path);
  try {
    const s = await stat(abs);
    return { real: await realpath(abs), id: `${s.dev}:${s.ino}` };
  } catch {
    const real = await realpath(dirname(abs)).then((d) => join(d, basename(abs)), () => abs);
    return { real, id: null };
  }
}

const same = (a: { real: string; id: string | null }, b: { real: string; id: string | null }) => a.real === b.real || (a.id !== null && a.id === b.id);

/**
 * The files directly in each folder of `folders` (a model folder, an adapter folder), for
 * checkOutputs' inputs: a folder that cannot be read gives none (reading it later says why).
 */
export async function filesIn(...folders: (string | null | undefined)[]): Promise<string[]> {
  const lists = await Promise.all(
    folders.filter((f): f is string => typeof f === "string").map(async (dir) => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      return entries.filter((e) => !e.isDirectory()).map((e) => join(dir, e.name));
    }),
  );
  return lists.flat();
}

/**
 * Refuses, before any work: an output whose folder does not exist, is not a folder or cannot be
 * written to (exit 1); an output that is a folder (exit 1); an output that names one of `inputs`
 * or the same file as another output, by real path or by inode, links followed (exit 2). Inputs
 * that do not exist are skipped: reading them says so.
 */
export async function checkOutputs(outputs: Output[], inputs: string[] = []): Promise<void> {
  const ins = await Promise.all(inputs.map(async (path) => ({ path, ...(await identity(path)) })));
  const seen: (Output & { real: string; id: string | null })[] = [];
  for (const out of outputs) {
    const abs = resolve(out.path);
    const folder = dirname(abs);
    const shown = dirname(out.path);
    const dir = await stat(folder).catch(() => null);
    if (!dir) throw new RuntimeError(`${out.flag} ${out.path}: the folder ${shown} does not exist; create it first (nothing was run)`);
    if (!dir.isDirectory()) throw new RuntimeError(`${out.flag} ${out.path}: ${shown} is not a folder (nothing was run)`);
    if (await access(folder, constants.W_OK).then(() => false, () => true)) throw new RuntimeError(`${out.flag} ${out.path}: the folder ${shown} cannot be written to (nothing was run)`);
    if ((await stat(abs).catch(() => null))?.isDirectory()) throw new RuntimeError(`${out.flag} ${out.path} is a folder: give a file name (nothing was run)`);
    const me = { ...out, ...(await identity(out.path)) };
    const input = ins.find((i) => same(i, me));
    if (input) throw new UsageError(`${out.flag} ${out.path} is the input ${input.path}: writing there would replace it; choose another name`);
    const other = seen.find((o) => same(o, me));
    if (other) throw new UsageError(`${other.flag} and ${out.flag} both name ${out.path}: give each output its own file`);
    seen.push(me);
  }
}

/**
 * An output folder that `writeOutputs` will create (siteseg adapt --out DIR): it is a folder when
 * it exists, else the folder it goes in exists (exit 1 before any work, otherwise).
 */
export async function checkOutputFolder(flag: string, path: string): Promise<void> {
  const s = await stat(path).catch(() => null);
  if (s) {
    if (!s.isDirectory()) throw new RuntimeError(`${flag} ${path} is a file, not a folder (nothing was run)`);
    return;
  }
  const parent = await stat(dirname(resolve(path))).catch(() => null);
  if (!parent?.isDirectory()) throw new RuntimeError(`${flag} ${path}: the folder ${dirname(path)} does not exist; create it first (nothing was run)`);
}

/** Creates an output folder checked by checkOutputFolder (its parent exists). */
export async function makeOutputFolder(path: string): Promise<void> {
  try {
    await mkdir(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST" && (await stat(path)).isDirectory()) return;
    throw describeFsError(e, `create the folder ${path}`) ?? e;
  }
}

/**
 * Writes each file whole or not at all: every one goes to a hidden temporary file beside it
 * (flushed to the disk), and only when all are written are they renamed over their names. A
 * failure removes the temporary files and says which file could not be written; a file already
 * at a name is kept until its new content is complete, and keeps its permissions. A name that is a
 * link is written through (the file it points to is replaced).
 */
export async function writeOutputs(files: { path: string; data: string | Uint8Array }[]): Promise<void> {
  const staged: { tmp: string; target: string; path: string }[] = [];
  let current = "";
  try {
    for (const { path, data } of files) {
      current = path;
      const target = await realpath(path).catch(() => resolve(path));
      const tmp = join(dirname(target), `.${basename(target)}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
      staged.push({ tmp, target, path });
      const before = await stat(target).catch(() => null);
      const handle = await open(tmp, "wx");
      try {
        // a file replaced keeps its permissions (a new one gets the usual ones)
        if (before) await handle.chmod(before.mode & 0o7777);
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    for (const s of staged) {
      current = s.path;
      await rename(s.tmp, s.target);
    }
  } catch (e) {
    await Promise.all(staged.map((s) => unlink(s.tmp).catch(() => undefined)));
    throw describeFsError(e, `write ${current}`) ?? e;
  }
}

/** One file, whole or not at all (writeOutputs). */
export const writeOutput = (path: string, data: string | Uint8Array) => writeOutputs([{ path, data }]);
