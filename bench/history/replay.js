#!/usr/bin/env node
// bench/history/replay.js: writes, to stdout, the input of a single-user backend (`postgres
// --single -j`: entries end in `;` and an empty line) that replays a history's files the way the
// engine sends them (src/migrate/apply.ts: 50 transactional migrations a message, each
// `BEGIN; <settings>; <file>; <closing>; COMMIT`, a transaction:false file alone), with the engine's
// per-migration statements chosen by VARIANT, so that instructions.sh can count what each costs.
//
//   node bench/history/replay.js <folder of migration files> <variant>
//
// variant: `psql` (every statement of every file as its own entry, as psql sends them; the
// corpus's `-- [converted] removed: ` prefixes taken off), or a comma-separated set of: clean (the
// clean session), settings (the timeouts in a set_config SELECT, as before), sets (SET LOCAL and
// one SELECT, as now), oldlock (the pg_locks check), newlock (the transaction-level check), insert
// (a plain INSERT of the history row), record (the row through precog_migrations.record_v1); none
// of them: `bare`. The clean session is apply.ts's own (CLEAN_SESSION, from dist/); the rest mirrors
// apply.ts, history.ts and pg.ts by hand (some of it as it was before): a measuring aid, not the
// engine; blank lines inside entries are dropped, as the entry terminator needs.
const fs = require("node:fs");
const path = require("node:path");

const [dir, variantArg = "bare"] = process.argv.slice(2);
if (!dir) {
  console.error("usage: node bench/history/replay.js <folder> <variant>");
  process.exit(2);
}
const repo = path.resolve(__dirname, "../..");
const KEY = "8102650157338160487";
const entries = [];
const emit = (text) => entries.push(`${text.replace(/\n\s*\n/g, "\n").replace(/;\s*$/, "")};\n\n`);
const files = fs
  .readdirSync(dir)
  .filter((n) => n.endsWith(".sql"))
  .sort();

async function psqlReplay() {
  const { splitStatements } = require(path.join(repo, "dist/migrate/parser.js"));
  emit("CREATE SCHEMA IF NOT EXISTS precog_migrations");
  for (const n of files) {
    const text = fs.readFileSync(path.join(dir, n), "utf8").replace(/^-- \[converted\] removed: /gm, "");
    for (const s of await splitStatements(text)) emit(s.text);
  }
}

function engineReplay(variant) {
  const has = (v) => variant.has(v);
  const check = `held := pg_catalog.pg_try_advisory_xact_lock(${KEY});
  IF held THEN held := pg_catalog.pg_advisory_unlock(${KEY}); END IF;
  IF NOT held THEN RAISE EXCEPTION 'released' USING ERRCODE = '55000'; END IF;
  PERFORM pg_catalog.pg_advisory_lock(${KEY});`;
  const oldLock = `DO $precog$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND pid = pg_catalog.pg_backend_pid()
                 AND granted AND classid = 1886545251 AND objid = 1869049191 AND objsubid = 1) THEN
    RAISE EXCEPTION 'released' USING ERRCODE = '55000';
  END IF;
END $precog$`;
  const newLock = `DO $precog$ DECLARE held boolean; BEGIN\n  ${check}\nEND $precog$`;
  const duration =
    "GREATEST(0, round(extract(epoch FROM pg_catalog.clock_timestamp() - pg_catalog.current_setting('precog.started')::timestamptz) * 1000))::int";
  const clean = require(path.join(repo, "dist/migrate/apply.js")).CLEAN_SESSION.join(";\n");
  const settings = (local) =>
    `SELECT set_config('client_connection_check_interval', '1s', false), set_config('lock_timeout', '5s', ${local}), set_config('statement_timeout', '15min', ${local}), set_config('precog.started', clock_timestamp()::text, ${local})`;
  const sets = (local) =>
    `${local ? "SET LOCAL" : "SET"} lock_timeout = '5s';\n${local ? "SET LOCAL" : "SET"} statement_timeout = '15min';\nSELECT set_config('client_connection_check_interval', '1s', false), set_config('precog.started', clock_timestamp()::text, ${local})`;
  emit(
    `SELECT pg_advisory_lock(${KEY}); CREATE SCHEMA IF NOT EXISTS precog_migrations; CREATE TABLE IF NOT EXISTS precog_migrations.history (version bigint PRIMARY KEY CHECK (version >= 0), name text NOT NULL, checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'), applied_by text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), duration_ms integer NOT NULL CHECK (duration_ms >= 0))`,
  );
  emit(`CREATE FUNCTION precog_migrations.record_v1(p_version bigint, p_name text, p_checksum text, p_applied_by text, p_duration_ms integer)
  RETURNS integer LANGUAGE plpgsql AS $fn$
DECLARE held boolean; recorded integer;
BEGIN
  ${check}
  INSERT INTO precog_migrations.history (version, name, checksum, applied_by, duration_ms)
    VALUES (p_version, p_name, p_checksum, p_applied_by, coalesce(p_duration_ms, ${duration}))
    RETURNING duration_ms INTO recorded;
  RETURN recorded;
END $fn$`);
  let version = 0;
  const start = (local) =>
    (has("clean") ? `${clean};\n` : "") +
    (has("settings") ? `${settings(local)};\n` : "") +
    (has("sets") ? `${sets(local)};\n` : "");
  const closing = (tx) => {
    version++;
    const ms = tx && (has("settings") || has("sets")) ? duration : "1";
    const row = `${version}, 'm${version}', '${"a".repeat(64)}', 'bench'`;
    return (
      (has("oldlock") ? `${oldLock};\n` : "") +
      (has("newlock") ? `${newLock};\n` : "") +
      (has("insert")
        ? `INSERT INTO precog_migrations.history (version, name, checksum, applied_by, duration_ms) VALUES (${row}, ${ms}) RETURNING duration_ms AS precog_applied_ms;\n`
        : "") +
      (has("record")
        ? `SELECT precog_migrations.record_v1(${row}, ${ms === duration ? "NULL" : "1"}) AS precog_applied_ms;\n`
        : "")
    );
  };
  let batch = "";
  let count = 0;
  const flush = () => {
    if (batch) emit(batch);
    batch = "";
    count = 0;
  };
  for (const n of files) {
    const text = fs.readFileSync(path.join(dir, n), "utf8");
    const tx = !/transaction:false/.test(text.split("\n")[0]);
    // The engine runs a first-statement SET TRANSACTION as BEGIN ISOLATION LEVEL (files.ts isolationOf).
    const iso = /^SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;/m.test(text);
    const sql = text.replace(/^SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;/m, "-- isolation");
    if (tx) {
      batch += `${iso ? "BEGIN ISOLATION LEVEL REPEATABLE READ" : "BEGIN"};\n${start(true)}${sql}\n;\n${closing(true)}COMMIT;\n`;
      if (++count >= 50) flush();
    } else {
      flush();
      const s = start(false);
      if (s) emit(s);
      emit(sql);
      const c = closing(false);
      if (c) emit(`BEGIN;\n${c}COMMIT`);
    }
  }
  flush();
}

(async () => {
  if (variantArg === "psql") await psqlReplay();
  else engineReplay(new Set(variantArg === "bare" ? [] : variantArg.split(",")));
  process.stdout.write(entries.join(""));
})().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
