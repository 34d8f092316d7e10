/**
 * precog-db's test support, public API: the strategy's fixtures in TypeScript. Per-test
 * transactions that always roll back (`withRollback`, the `db` fixture of `dbTest`), the clean
 * slate in foreign-key order worked out from the catalog (`cleanSlate`), unique ids for parallel
 * tests (`uniqueId`), and the guards that force the test environment and refuse any database that
 * is not a test database. Built on src/app; nothing in src/app imports from here.
 */

export { type CleanSlateOptions, cleanSlate, deletionOrder, KEPT_SCHEMAS } from "./clean-slate";
export { assertTestDatabase, forceTestEnvironment, isTestDatabaseName } from "./environment";
export { type DbFixtures, dbTest, openTestPool } from "./fixtures";
export { type Connectable, withRollback } from "./rollback";
export { uniqueId, workerTag } from "./unique";
