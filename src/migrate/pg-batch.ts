/**
 * One message of many statements over pg's simple query protocol, with what pg's own Query does
 * not tell: which statements completed before a failure, and where in the text the server put the
 * error. The runner needs both to say which migration, and which statement of it, failed.
 *
 * It is a Submittable: `client.query(obj)` hands `obj` the connection to send its message on,
 * then calls its `handle*` methods as the server answers. Nothing of pg is patched, but the set of
 * `handle*` methods pg calls is pg's internal contract, not its documented API:
 * tests/migrate/pg-batch.test.ts holds this file to the pg version in package-lock.json
 * (`PG_CHECKED`), so upgrading pg means reading pg/lib/client.js's `activeQuery.handle*` calls again.
 */
import type { Client } from "pg";

/** The pg version whose client.js dispatch this adapter was checked against. */
export const PG_CHECKED = "8.23.1";

export interface BatchOutcome {
  /** Command tags ("BEGIN", "ALTER TABLE", "COMMIT", ...) of the statements that completed, in order. */
  readonly completed: readonly string[];
  /** The first row's value of the `capture` column, for each result that has that column, in order. */
  readonly captured: readonly (string | null)[];
  /** Absent when every statement completed. */
  readonly failure?: {
    readonly error: Error;
    /**
     * Where the server placed the error, as an index into the text (the server counts characters,
     * JavaScript strings count UTF-16 units). A syntax error anywhere rejects the whole message,
     * so then nothing completed, whatever statement the position falls in.
     */
    readonly at?: number;
  };
}

/** The part of pg's Connection a simple query uses. */
interface Wire {
  query(text: string): void;
  sendCopyFail(message: string): void;
}

/** Sends `text` as one message; resolves once the server is done with it, never rejects. */
export function runBatch(client: Client, text: string, capture: string): Promise<BatchOutcome> {
  return new Promise((settle) => {
    const completed: string[] = [];
    const captured: (string | null)[] = [];
    let column = -1;
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      const position = (error as { position?: string } | undefined)?.position;
      const at = position !== undefined ? codePointToIndex(text, Number(position) - 1) : undefined;
      settle({ completed, captured, failure: error ? { error, at } : undefined });
    };
    const batch = {
      submit: (wire: Pick<Wire, "query">) => wire.query(text),
      handleRowDescription: (msg: { fields: readonly { name: string }[] }) => {
        column = msg.fields.findIndex((f) => f.name === capture);
      },
      handleDataRow: (msg: { fields: readonly (string | null)[] }) => {
        if (column >= 0) captured.push(msg.fields[column]);
        column = -1;
      },
      handleCommandComplete: (msg: { text: string }) => {
        completed.push(msg.text);
        column = -1;
      },
      handleEmptyQuery: () => undefined,
      handlePortalSuspended: () => undefined,
      // A migration has no data to feed COPY ... FROM STDIN: fail it as pg's own Query does.
      handleCopyInResponse: (wire: Wire) => wire.sendCopyFail("COPY FROM STDIN has no data in a migration file"),
      handleCopyData: () => undefined,
      // After an error pg forgets the query, so ReadyForQuery reaches only a batch that succeeded.
      handleError: (error: Error) => finish(error),
      handleReadyForQuery: () => finish(),
    };
    client.query(batch);
  });
}

/** Index in a JS string of the `n`th code point (PostgreSQL counts characters, not UTF-16 units). */
export function codePointToIndex(text: string, n: number): number {
  let idx = 0;
  for (let i = 0; i < n && idx < text.length; i++) idx += (text.codePointAt(idx) ?? 0) > 0xffff ? 2 : 1;
  return idx;
}
