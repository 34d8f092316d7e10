/**
 * Watches what a test body does to withRollback's transaction and connection, from the protocol
 * messages the server sends back, so nothing the test does can slip between two of our queries:
 *
 * - every statement's command tag (`COMMIT`, `BEGIN`, ...), even inside a multi-statement query,
 *   where only one ReadyForQuery comes back at the end;
 * - the transaction status of every ReadyForQuery (`I` idle means no transaction is open; `T` or
 *   `E` after that means the test opened another);
 * - warnings: a BEGIN inside an open transaction is only a warning (25001), so a BEGIN without it
 *   found no transaction, i.e. the test's own COMMIT or ROLLBACK had ended ours;
 * - the connection's errors: a backend killed by an administrator, by
 *   `idle_in_transaction_session_timeout` or by a restart emits `'error'` on the client, which
 *   would crash the process while nothing listens.
 *
 * Reading the tags and statuses needs pg's `client.connection` events, which pg has emitted
 * unchanged since 8.0; the savepoint-safe marker in rollback.ts does not depend on them.
 */
import type { PoolClient } from "pg";

/** SQLSTATE of the warning for BEGIN inside a transaction (active_sql_transaction). */
const ALREADY_IN_TRANSACTION = "25001";
/** SQLSTATE of the warning for COMMIT/ROLLBACK outside a transaction (no_active_sql_transaction). */
const NO_TRANSACTION = "25P01";
/** Tags that end the transaction whatever the state. ROLLBACK is absent: ROLLBACK TO SAVEPOINT shares it. */
const ENDING_TAGS = new Set(["COMMIT", "PREPARE TRANSACTION"]);
const BEGIN_TAGS = new Set(["BEGIN", "START TRANSACTION"]);

export interface TransactionWatch {
  /** The test ended withRollback's transaction (COMMIT, END, ROLLBACK, PREPARE TRANSACTION). */
  readonly ended: boolean;
  /** ... and then opened another one, so a final ROLLBACK alone would not notice. */
  readonly began: boolean;
  /** The connection failed (backend terminated, socket closed); it must be discarded. */
  readonly lost: Error | undefined;
  /** Starts reading tags and statuses: call once withRollback's own BEGIN has completed. */
  arm(): void;
  /** Stops reading tags and statuses (before withRollback's own ROLLBACK); errors are still caught. */
  disarm(): void;
  /** Stops watching altogether, just before the client is released. */
  stop(): void;
}

interface ProtocolEvents {
  on(event: string, listener: (msg: { text?: string; status?: string; code?: string }) => void): unknown;
  off(event: string, listener: (msg: { text?: string; status?: string; code?: string }) => void): unknown;
}

/** Starts watching `client`'s errors at once, and its transaction from {@link TransactionWatch.arm}. */
export function watchTransaction(client: PoolClient): TransactionWatch {
  const state = { ended: false, began: false, lost: undefined as Error | undefined };
  let armed = false;
  let warnedInTransaction = false;
  const connection = (client as unknown as { connection: ProtocolEvents }).connection;

  const onNotice = (msg: { code?: string }) => {
    if (!armed) return;
    if (msg.code === ALREADY_IN_TRANSACTION) warnedInTransaction = true;
    if (msg.code === NO_TRANSACTION) state.ended = true;
  };
  const onCommandComplete = (msg: { text?: string }) => {
    if (!armed) return;
    const tag = msg.text ?? "";
    if (ENDING_TAGS.has(tag)) state.ended = true;
    if (BEGIN_TAGS.has(tag) && !warnedInTransaction) {
      state.ended = true;
      state.began = true;
    }
    warnedInTransaction = false;
  };
  const onReady = (msg: { status?: string }) => {
    if (!armed) return;
    if (msg.status === "I") state.ended = true;
    else if (state.ended) state.began = true; // in a transaction again after ending ours (COMMIT AND CHAIN)
  };
  const onError = (err: Error) => {
    state.lost ??= err; // a killed backend errors twice: its FATAL message, then the socket's end
  };
  connection.on("notice", onNotice);
  connection.on("commandComplete", onCommandComplete);
  connection.on("readyForQuery", onReady);
  client.on("error", onError);

  return {
    get ended() {
      return state.ended;
    },
    get began() {
      return state.began;
    },
    get lost() {
      return state.lost;
    },
    arm() {
      armed = true;
    },
    disarm() {
      armed = false;
    },
    stop() {
      armed = false;
      connection.off("notice", onNotice);
      connection.off("commandComplete", onCommandComplete);
      connection.off("readyForQuery", onReady);
      client.off("error", onError);
      // A lost client is about to be destroyed: keep swallowing its late errors (the socket's end
      // after a FATAL), as one with no listener would crash the process.
      if (state.lost !== undefined) client.on("error", () => undefined);
    },
  };
}
