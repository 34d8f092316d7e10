// Builds the benchmark's fixtures in $WORK against the cluster in DB_HOST/DB_PORT/DB_USER/DB_PASSWORD:
// migration folders for each tool (1, 300, 1000 and 200 migrations), databases with those already
// applied (for the no-op runs), and the 200k-row table with a pool of identical copies so every
// timed "apply 200 migrations" run starts from the same state after a cheap rename.

const { execFileSync } = require("node:child_process");
const { mkdirSync, writeFileSync } = require("node:fs");
const { join, resolve } = require("node:path");
const { Client } = require("pg");

const WORK = process.env.WORK;
const REPO = resolve(__dirname, "../..");
const POOL = Number(process.env.POOL ?? 60);
const conn = (database) => ({
  host: process.env.DB_HOST,
  port: Number(process.env.DB_PORT),
  user: process.env.DB_USER,
  password: process.env.DB_PASSWORD,
  database,
});
const url = (database) =>
  `postgresql://${process.env.DB_USER}:${encodeURIComponent(process.env.DB_PASSWORD)}@${process.env.DB_HOST}:${process.env.DB_PORT}/${database}`;
const pad = (n) => String(n).padStart(4, "0");

async function sql(database, text) {
  const c = new Client(conn(database));
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

function folder(name, count, fileName, content) {
  const dir = join(WORK, name);
  mkdirSync(dir, { recursive: true });
  for (let i = 1; i <= count; i++) writeFileSync(join(dir, fileName(i)), content(i));
  return dir;
}

const sqlFile = (up, down) => `-- migrate:up\n${up}\n\n-- migrate:down\n${down}\n`;
const knexFile = (up, down) =>
  `exports.up = (knex) => knex.raw(${JSON.stringify(up)});\nexports.down = (knex) => knex.raw(${JSON.stringify(down)});\n`;
const npmFile = (up, down) =>
  `exports.up = (pgm) => { pgm.sql(${JSON.stringify(up)}); };\nexports.down = (pgm) => { pgm.sql(${JSON.stringify(down)}); };\n`;

// Quiet unless it fails: applying 1000 migrations prints a line each.
function run(cmd, args, env = {}) {
  try {
    execFileSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...env } });
  } catch (err) {
    process.stderr.write(String(err.stderr ?? ""));
    throw err;
  }
}

async function main() {
  // A package.json at the root makes $WORK look like a project, so precog-db keeps its checksum
  // cache in $WORK/node_modules/.cache as it would in a checkout.
  writeFileSync(join(WORK, "package.json"), '{ "private": true }\n');
  const table = (i) => [`CREATE TABLE t_${i} (id int);`, `DROP TABLE t_${i};`];
  const column = (i) => [`ALTER TABLE wide ADD COLUMN c${i} int;`, `ALTER TABLE wide DROP COLUMN c${i};`];
  const dirs = {
    sql1: folder(
      "sql1",
      1,
      (i) => `${pad(i)}_t${i}.sql`,
      (i) => sqlFile(...table(i)),
    ),
    sql300: folder(
      "sql300",
      300,
      (i) => `${pad(i)}_t${i}.sql`,
      (i) => sqlFile(...table(i)),
    ),
    sql1000: folder(
      "sql1000",
      1000,
      (i) => `${pad(i)}_t${i}.sql`,
      (i) => sqlFile(...table(i)),
    ),
    knex1000: folder(
      "knex1000",
      1000,
      (i) => `${pad(i)}_t${i}.js`,
      (i) => knexFile(...table(i)),
    ),
    npm1000: folder(
      "npm1000",
      1000,
      (i) => `${pad(i)}_t${i}.js`,
      (i) => npmFile(...table(i)),
    ),
    applySql: folder(
      "apply_sql",
      200,
      (i) => `${pad(i)}_c${i}.sql`,
      (i) => sqlFile(...column(i)),
    ),
    applyKnex: folder(
      "apply_knex",
      200,
      (i) => `${pad(i)}_c${i}.js`,
      (i) => knexFile(...column(i)),
    ),
    applyNpm: folder(
      "apply_npm",
      200,
      (i) => `${pad(i)}_c${i}.js`,
      (i) => npmFile(...column(i)),
    ),
  };
  writeFileSync(join(WORK, "apply_all.sql"), Array.from({ length: 200 }, (_, i) => `${column(i + 1)[0]}\n`).join(""));

  for (const db of [
    "noop_precog_1",
    "noop_precog_300",
    "noop_precog_1000",
    "noop_dbmate_1000",
    "noop_knex_1000",
    "noop_npm_1000",
    "apply",
  ]) {
    await sql("postgres", `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await sql("postgres", `CREATE DATABASE ${db}`);
  }
  const precog = (db, dir) =>
    run(process.execPath, [join(REPO, "bin/precog-db.js"), "migrate", "--dir", dir, "--database-url", url(db)], {
      PRECOG_ENV: "dev",
    });
  precog("noop_precog_1", dirs.sql1);
  precog("noop_precog_300", dirs.sql300);
  precog("noop_precog_1000", dirs.sql1000);
  if (process.env.DBMATE)
    run(process.env.DBMATE, ["--no-dump-schema", "--migrations-dir", dirs.sql1000, "migrate"], {
      DATABASE_URL: `${url("noop_dbmate_1000")}?sslmode=disable`,
    });
  run(process.execPath, [join(__dirname, "knex-migrate.js"), dirs.knex1000], { DATABASE_URL: url("noop_knex_1000") });
  run(
    process.execPath,
    [
      join(__dirname, "node_modules/node-pg-migrate/bin/node-pg-migrate.js"),
      "up",
      "-m",
      dirs.npm1000,
      "--migration-file-language",
      "js",
    ],
    { DATABASE_URL: url("noop_npm_1000") },
  );

  // The 200k-row table and its pool of copies; reset.sql swaps the next copy in and forgets
  // every tool's history, so each timed run applies all 200 migrations to an untouched table.
  await sql(
    "apply",
    "CREATE TABLE wide_src AS SELECT g::bigint AS id, (g % 1000)::int AS v FROM generate_series(1, 200000) g",
  );
  for (let k = 1; k <= POOL; k++) await sql("apply", `CREATE TABLE wide_pool_${k} AS TABLE wide_src`);
  await sql("apply", "CREATE SEQUENCE pool_seq");
  await sql("apply", "VACUUM ANALYZE");
  writeFileSync(
    join(WORK, "reset.sql"),
    `DROP SCHEMA IF EXISTS precog_migrations CASCADE;
DROP TABLE IF EXISTS wide, schema_migrations, knex_migrations, knex_migrations_lock, pgmigrations;
DO $$ BEGIN EXECUTE format('ALTER TABLE wide_pool_%s RENAME TO wide', nextval('pool_seq')); END $$;
`,
  );
  process.stdout.write(`fixtures ready in ${WORK}\n`);
}

main().catch((err) => {
  process.stderr.write(`setup failed: ${err.stack}\n`);
  process.exit(1);
});
