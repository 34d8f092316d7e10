#!/usr/bin/env node
// precog-db: runs the compiled command (dist/, built by `npm run build` and on `npm ci`). Plain
// JavaScript with no TypeScript loader, so a no-op `migrate` starts as fast as Node can.

let main;
try {
  ({ main } = require("../dist/cli/main"));
} catch (err) {
  if (err && err.code === "MODULE_NOT_FOUND" && String(err.message).includes("dist/cli/main")) {
    process.stderr.write("precog-db: dist/ is missing: run `npm run build` (or `npm ci`) first.\n");
    process.exit(1);
  }
  throw err;
}
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // Through the output module, so even this last message never shows a password.
    require("../dist/cli/output").printFatal(err, process.argv.slice(2));
    process.exitCode = 1;
  },
);
