/**
 * The migration resource's provider, as the project's own provider plugin serves it (./main.ts).
 * Each method takes the engine's values, secrets marked, and hands ./crud.ts plain ones; what it
 * returns (including the state recorded on a failed apply) is marked secret where its inputs were.
 */
import type * as provider from "@pulumi/pulumi/provider";
import { type MigrationsWireInputs, withFiles } from "../contract";
import * as impl from "./crud";
import type { EngineLog } from "./engine-log";
import { readAndKeep, takeKept } from "./folder-reads";
import { secretLike, unwrapSecrets } from "./wire-secrets";

/** `log`: the engine's log (./engine-log.ts), where check and diff say what is pending. */
export function migrationsProvider(version: string, log: EngineLog): provider.Provider {
  return {
    version,
    check: async (urn, olds, news) => {
      // Files that changed since the last run are likely pending: the diff will say so.
      if (olds.files?.digest !== news.files?.digest) log.connect();
      // A new resource has no old inputs; a recorded one is checked by its diff (the folder read only then).
      if (Object.keys(olds).length === 0)
        await impl.checkNew(urn, await withFiles(unwrapSecrets(news), (w) => readAndKeep(urn, w)), log.of(urn));
      // Secrets stay marked in the inputs the engine records.
      return { inputs: news };
    },
    diff: async (_id, urn, olds, news) => {
      const wire = unwrapSecrets<MigrationsWireInputs>(news);
      return impl.diff(urn, unwrapSecrets(olds), wire, () => readAndKeep(urn, wire), log.of(urn));
    },
    create: async (urn, inputs) => {
      const { id, outs } = await marked(inputs, async () => impl.create(await inputsOf(urn, inputs), log.of(urn)));
      return { id, outs: secretLike(outs, inputs) };
    },
    update: async (_id, urn, olds, news) => {
      const { outs } = await marked(news, async () =>
        impl.update(unwrapSecrets(olds), await inputsOf(urn, news), log.of(urn)),
      );
      return { outs: secretLike(outs, news) };
    },
    read: async (id, _urn, props) => {
      const read = await impl.read(id, unwrapSecrets(props));
      return { id: read.id, props: secretLike(read.props, props) };
    },
    // The schema and its data stay: the database resource owns their fate.
    delete: async () => {},
  };
}

/**
 * The previews of a create and an update, which the SDK's provider server does not tell from the
 * real ones (./previews.ts answers them in its place): `olds`, the state of the resource updated.
 */
export function migrationsPreviews(log: EngineLog) {
  return {
    create: async (urn: string, inputs: unknown) => impl.preview(undefined, await inputsOf(urn, inputs), log.of(urn)),
    update: async (urn: string, olds: unknown, news: unknown) =>
      impl.preview(unwrapSecrets(olds), await inputsOf(urn, news), log.of(urn)),
  };
}

/** The engine's inputs as the provider works on them: plain values, the folder as the diff or check before read it (./folder-reads.ts). */
function inputsOf(urn: string, wire: unknown) {
  return withFiles(unwrapSecrets<MigrationsWireInputs>(wire), (w) => takeKept(urn, w));
}

/** Runs `apply`; the state a failed apply records is marked secret as `inputs` were. */
async function marked<T>(inputs: unknown, apply: () => Promise<T>): Promise<T> {
  try {
    return await apply();
  } catch (e) {
    const failed = e as Error & { properties?: Record<string, unknown> };
    if (failed.properties) failed.properties = secretLike(failed.properties, inputs);
    throw failed;
  }
}
