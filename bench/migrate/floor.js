// Node's floor for a migration command: start node, require pg, connect, SELECT 1, exit.
// With --no-fetch, pg is loaded as precog-db loads it (src/migrate/pg.ts, requirePg): with a
// `navigator` lent while it loads, so that its check for Cloudflare Workers does not load Node's
// fetch (undici). That floor is what precog-db's own work is measured against.

const noFetch = process.argv.includes("--no-fetch");
const database = process.argv.slice(2).find((a) => !a.startsWith("--"));
const lend = noFetch && globalThis.navigator === undefined;
if (lend) globalThis.navigator = { userAgent: `Node.js/${process.version}` };
const { Client } = require("pg");
if (lend) delete globalThis.navigator;
const c = new Client({
  host: process.env.DB_HOST,
  port: Number(process.env.DB_PORT),
  user: process.env.DB_USER,
  password: process.env.DB_PASSWORD,
  database,
});
c.connect()
  .then(() => c.query("SELECT 1"))
  .then(() => c.end())
  .catch((err) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
