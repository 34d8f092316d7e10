// knex's migrate:latest for one folder, the way an application or deploy script calls it.

const knex = require("knex")({ client: "pg", connection: process.env.DATABASE_URL });
knex.migrate
  .latest({ directory: process.argv[2], loadExtensions: [".js"] })
  .then(() => knex.destroy())
  .catch(async (err) => {
    process.stderr.write(`${err.message}\n`);
    await knex.destroy();
    process.exit(1);
  });
