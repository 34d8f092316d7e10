/**
 * Work the process must undo when it is interrupted (validate's scratch database, a backup's
 * incomplete dump and its pg_dump): while a cleanup is installed, SIGINT, SIGTERM and SIGHUP run it
 * first, then end the process by the same signal, the default action, as if nothing had listened.
 */

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Installs `cleanup` (which says what it did on stderr); returns the un-install. */
export function onInterrupt(cleanup: (signal: NodeJS.Signals) => Promise<unknown>): () => void {
  const handler = (signal: NodeJS.Signals) => {
    uninstall();
    cleanup(signal)
      .catch(() => undefined)
      .finally(() => process.kill(process.pid, signal));
  };
  const uninstall = () => {
    for (const s of SIGNALS) process.off(s, handler);
  };
  for (const s of SIGNALS) process.on(s, handler);
  return uninstall;
}
