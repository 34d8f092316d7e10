/**
 * Everything the command prints goes through here, so every line is scrubbed of secrets, and
 * progress on long runs is shown the same way for `migrate` and `down`.
 */
import { writeSync } from "node:fs";
import { maskSecrets } from "../migrate/pg";
import type { MigrateEvent } from "../migrate/settings";

export interface Output {
  /** Results, to stdout. */
  out(line: string): void;
  /** Progress, warnings and errors, to stderr. */
  err(line: string): void;
  /** A logger for the engine, with a "still running" note every `tickMs` of a long migration. */
  progress(tickMs?: number): { log: (e: MigrateEvent) => void; stop: () => void };
  /** Adds secrets to scrub once they are known. */
  addSecrets(secrets: readonly string[]): void;
}

export function createOutput(): Output {
  const secrets: string[] = [];
  const o: Output = {
    out: (line) => write(1, `${maskSecrets(line, secrets)}\n`),
    err: (line) => write(2, `${maskSecrets(line, secrets)}\n`),
    addSecrets: (s) => secrets.push(...s),
    progress(tickMs = 10_000) {
      let timer: NodeJS.Timeout | undefined;
      let current = "";
      let since = 0;
      const stopTimer = () => {
        if (timer) clearInterval(timer);
        timer = undefined;
      };
      const log = (e: MigrateEvent) => {
        switch (e.type) {
          case "info":
            o.err(e.message);
            break;
          case "warn":
            o.err(`warning: ${e.message}`);
            break;
          case "applying":
            current =
              e.count > 1
                ? `migrations ${e.index}-${e.index + e.count - 1} of ${e.total} (from ${e.version}_${e.name}, sent together)`
                : `${e.version}_${e.name}`;
            since = Date.now();
            stopTimer();
            timer = setInterval(
              () => o.err(`  ... still running ${current} (${Math.round((Date.now() - since) / 1000)} s)`),
              tickMs,
            );
            timer.unref();
            break;
          case "applied":
            o.err(
              `  ${String(e.index).padStart(String(e.total).length)}/${e.total} ${e.version}_${e.name} (${Number.isFinite(e.durationMs) ? `${e.durationMs} ms` : "duration unknown"})`,
            );
            if (e.index === e.total) stopTimer();
            break;
        }
      };
      return { log, stop: stopTimer };
    },
  };
  return o;
}

/** The password of a `postgresql://` URL (as written and decoded), or nothing. `--flag=url` is accepted. */
export function urlSecrets(arg: string): string[] {
  try {
    const p = new URL(arg.replace(/^--[\w-]+=/, "")).password;
    return p ? [p, decodeURIComponent(p)] : [];
  } catch {
    return [];
  }
}

/**
 * The last resort for an error that escaped main() (bin/precog-db.js): redacted like every other
 * line, with what is known without a target as secrets: URL passwords on the command line and
 * DB_PASSWORD.
 */
export function printFatal(
  err: unknown,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): void {
  const secrets = [...argv.flatMap(urlSecrets), ...(env.DB_PASSWORD ? [env.DB_PASSWORD] : [])];
  const message = err instanceof Error ? err.message : String(err);
  write(2, `precog-db: ${maskSecrets(message, secrets)}\n`);
}

/**
 * Writes straight to the file descriptor: creating process.stdout/stderr streams costs a few
 * milliseconds that a no-op run would notice, and synchronous writes keep lines in order when the
 * process exits right after. A non-blocking pipe that is full (EAGAIN) is retried.
 */
function write(fd: number, text: string): void {
  let buf = Buffer.from(text, "utf8");
  while (buf.length > 0) {
    try {
      buf = buf.subarray(writeSync(fd, buf));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
    }
  }
}
