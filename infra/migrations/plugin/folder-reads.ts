/**
 * The folder as the diff or the check of each resource read it, kept for the step that follows it
 * in the same run (the update, the create, or their preview), which takes it instead of reading the
 * folder again. Taken once, and every diff and check reads the folder itself. Kept for the digest
 * the program read: the engine holds the folder to that digest once more as it applies
 * (`expectFiles`), so the update applies the files the diff checked, or nothing. (A file renamed
 * in between, its version and checksum the same, keeps its former name in the update's messages.)
 */
import { type MigrationsInputs, type MigrationsWireInputs, readFolder } from "../contract";

type FolderRead = Awaited<ReturnType<typeof readFolder>>;

const kept = new Map<string, { readonly key: string; readonly migrations: MigrationsInputs["migrations"] }>();

const keyOf = (wire: MigrationsWireInputs) => `${wire.dir}\n${wire.files.count}\n${wire.files.digest}`;

/** The diff's or the check's read of resource `urn`'s folder: read now, and kept for the step after it. */
export async function readAndKeep(urn: string, wire: MigrationsWireInputs): Promise<FolderRead> {
  kept.delete(urn);
  const read = await readFolder(wire);
  if ("inputs" in read) kept.set(urn, { key: keyOf(wire), migrations: read.inputs.migrations });
  return read;
}

/** The step after the diff or the check: the folder as that read it for the same digest, else read now. */
export async function takeKept(urn: string, wire: MigrationsWireInputs): Promise<FolderRead> {
  const read = kept.get(urn);
  kept.delete(urn);
  return read?.key === keyOf(wire) ? { inputs: { ...wire, migrations: read.migrations } } : readFolder(wire);
}
