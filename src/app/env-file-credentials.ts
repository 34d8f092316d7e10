/**
 * The password of a pool whose credentials come from a `.env` file (the local stacks'
 * `.env.<env>`, which `precog-db rotate` rewrites): read again from the file after a connection
 * is refused for its password, so an open pool keeps serving across a local rotation the way a
 * Secrets Manager pool does across an AWS one. A DB_PASSWORD in the process environment wins over
 * the file and is never re-read (there is nothing to re-read it from).
 */
import { readEnvFile } from "../env/env-file";

/** What a pool can re-read after an authentication failure. */
export interface RereadableCredentials {
  /** As a warning names it: `secret "precog/dev/app"`, `the env file /srv/.env.dev`. */
  readonly description: string;
  /** Forgets what was read no later than `since` (ms since epoch): the next connection reads again. */
  invalidate(since: number): void;
  /**
   * The login the credentials name now, when it can change: an alternating-users rotation moves
   * the secret between `<role>` and `<role>_clone`. Undefined: the user is fixed.
   */
  currentUser?(): Promise<string>;
}

export class EnvFileCredentials implements RereadableCredentials {
  private readAt: number;

  constructor(
    readonly file: string,
    private password: string | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.readAt = now();
  }

  get description(): string {
    return `the env file ${this.file}`;
  }

  /** DB_PASSWORD as the file had it when last read. */
  current(): string | undefined {
    return this.password;
  }

  invalidate(since: number): void {
    if (this.readAt > since) return;
    const value = readEnvFile(this.file).DB_PASSWORD;
    this.password = value === "" ? undefined : value;
    this.readAt = this.now();
  }
}
