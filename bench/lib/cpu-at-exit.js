// cpu-at-exit.js: loaded with `node --require` (through NODE_OPTIONS) into the migration provider's
// plugin by bench/lib/inline-cli-up.js, to add its CPU seconds, as one line of JSON {cpu}, to the
// file BENCH_CPU_FILE names when it ends: the engine ends its plugins with SIGINT, which ends an
// idle plugin without running exit handlers, so the signal is caught, the line written and the
// same signal raised again, and the plugin ends as it would have.
const { appendFileSync } = require("node:fs");

let written = false;
function write() {
  if (written) return;
  written = true;
  const { user, system } = process.cpuUsage();
  appendFileSync(process.env.BENCH_CPU_FILE, `${JSON.stringify({ cpu: (user + system) / 1e6 })}\n`);
}

process.on("exit", write);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, function onSignal() {
    write();
    // Another listener (the engine's interrupt cleanup) handles it as without this file.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}
