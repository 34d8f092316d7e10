/**
 * Unique ids for tests that run in parallel: vitest runs files in separate workers against the
 * same database, so fixed keys ("MKT-1") collide (or, inside per-test transactions, block on each
 * other's unique index until one rolls back). Ids carry the worker, the process and a counter,
 * plus randomness so reruns against a database with leftovers do not collide either.
 */
import { randomBytes } from "node:crypto";

let counter = 0;

/** This process's vitest worker (VITEST_POOL_ID), or the process id outside vitest. */
export function workerTag(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.VITEST_POOL_ID !== undefined ? `w${env.VITEST_POOL_ID}` : `p${process.pid}`;
}

/**
 * `<prefix>_<worker>_<counter>_<6 hex>`, e.g. `mkt_w3_17_9f2c1a`: lower-case letters, digits and
 * underscores only, so it is also a valid unquoted SQL identifier when the prefix is. `prefix`
 * defaults to "t".
 */
export function uniqueId(prefix = "t"): string {
  counter += 1;
  return `${prefix}_${workerTag()}_${counter}_${randomBytes(3).toString("hex")}`;
}
