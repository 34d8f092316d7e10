/**
 * The plugin's lifetime is its engine's (issue 30, item 15). The engine starts this process and
 * talks to it over gRPC; a `pulumi up` killed with SIGKILL cannot say goodbye, and the plugin's
 * gRPC server would keep it alive, applying migrations the engine will never record. So the plugin
 * watches its parent, the engine: when the process is re-parented (the engine is gone), `onGone`
 * runs, which stops the migration runs (src/migrate/stop.ts) and ends the process once they have.
 *
 * The plugin's stdout and stderr are pipes to the engine, so once it is gone a write to them fails
 * (EPIPE), which also means the engine is gone. Unhandled, that error was thrown, and the SDK's
 * handler of uncaught errors wrote it to stderr, failing again, without end: the plugin spun at
 * full CPU, its memory growing, and never reached its end (seen after a killed test run).
 */

/** Calls `onGone` once, when the process that started this one has gone away. */
export function watchEngine(onGone: (reason: string) => void, intervalMs = 250): void {
  const engine = process.ppid;
  let gone = false;
  const goneBecause = (reason: string) => {
    if (gone) return;
    gone = true;
    clearInterval(timer);
    onGone(reason);
  };
  const timer = setInterval(() => {
    if (process.ppid !== engine) goneBecause(`the engine that started this plugin (process ${engine}) went away`);
  }, intervalMs);
  timer.unref();
  for (const [name, stream] of [
    ["stdout", process.stdout],
    ["stderr", process.stderr],
  ] as const) {
    // Any error is handled here, so that none is thrown; a broken pipe says the engine is gone.
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") goneBecause(`the engine closed the plugin's ${name} (process ${engine} went away)`);
    });
  }
}
