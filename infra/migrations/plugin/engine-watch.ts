/**
 * The plugin's lifetime is its engine's (issue 30, item 15). The engine starts this process and
 * talks to it over gRPC; a `pulumi up` killed with SIGKILL cannot say goodbye, and the plugin's
 * gRPC server would keep it alive, applying migrations the engine will never record. So the plugin
 * watches its parent, the engine: when the process is re-parented (the engine is gone), `onGone`
 * runs, which stops the migration runs (src/migrate/stop.ts) and ends the process once they have.
 */

/** Calls `onGone` once, when the process that started this one has gone away. */
export function watchEngine(onGone: (reason: string) => void, intervalMs = 250): void {
  const engine = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === engine) return;
    clearInterval(timer);
    onGone(`the engine that started this plugin (process ${engine}) went away`);
  }, intervalMs);
  timer.unref();
}
