// Node's floor for a migration command: start node, require pg, connect, SELECT 1, exit.

const { Client } = require("pg");
const c = new Client({
  host: process.env.DB_HOST,
  port: Number(process.env.DB_PORT),
  user: process.env.DB_USER,
  password: process.env.DB_PASSWORD,
  database: process.argv[2],
});
c.connect()
  .then(() => c.query("SELECT 1"))
  .then(() => c.end())
  .catch((err) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
