/**
 * The application's connection pool: `pg.Pool` opened the same safe way in every environment.
 * `openPool()` reads the variables (process environment over `.env`), picks the environment,
 * refuses prod without PRECOG_PROD_CONFIRMED=yes (and warns, naming operator and target, when it
 * is confirmed), refuses a database named for another environment (DB_NAME, or the secret's
 * dbname: precog_prod under PRECOG_ENV=dev), takes credentials from the variables or the Secrets
 * Manager secret (its pool bounds from the secret's tags), and opens `DB_POOL_MIN_CONN` connections up front so a broken configuration
 * fails at start-up rather than on the first trade.
 *
 * Pool minimum: pg-pool 3.x accepts `min` but only uses it to stop idle reaping below it; it never
 * opens connections by itself. So `PrecogPool` warms `min` connections when opened and, when a
 * connection is dropped (server restart, idle kill), tops the pool back up to `min`.
 */
import { Pool, type PoolClient, type PoolConfig } from "pg";
import type { ResolvedConnection } from "../env/connection";
import { loadVars, type Vars } from "../env/env-file";
import {
  assertDatabaseMatches,
  assertProdConfirmed,
  currentOperator,
  type Environment,
  requireEnvironment,
} from "../env/environment";
import { explainConnectError, passwordFor, refusedPlaintext } from "../env/tls";
import { type ClientPolicy, clientClassFor } from "./client";
import { EnvFileCredentials, type RereadableCredentials } from "./env-file-credentials";
import { readPoolTags, SecretCredentials, type SecretsClient, secretsSdk } from "./secrets";
import {
  type ConnectionSettings,
  environmentPoolFallback,
  type PoolLimits,
  resolvePoolLimits,
  resolveSettings,
} from "./settings";
import {
  AUTH_FAILED,
  backoffMillis,
  DEFAULT_WAITS,
  LIMIT_CAP_HOLD_MILLIS,
  type PoolWaits,
  resolveWaits,
  sleep,
  sqlState,
  TOO_MANY_CONNECTIONS,
} from "./waits";

/** Where warnings go. Default: `console`. */
export interface PoolLogger {
  warn(message: string): void;
}

/**
 * Tuning passed through to `pg.Pool`; connection, credentials, bounds, TLS and the connect timeout
 * (DB_CONNECT_TIMEOUT) are not overridable here. `connectionTimeoutMillis` is pg-pool's: how long
 * a caller may wait for a connection, a busy pool's queue included.
 */
export type PoolTuning = Omit<
  PoolConfig,
  | "host"
  | "port"
  | "database"
  | "user"
  | "password"
  | "min"
  | "max"
  | "ssl"
  | "connectionString"
  | "application_name"
  | "Client"
>;

export interface OpenPoolOptions {
  /** `.env` file to read under the process environment. Default `.env` if present; `false` for none. */
  readonly envFile?: string | false;
  /** Process environment to read. Default `process.env`. */
  readonly env?: Vars;
  /** Refuse to open unless the selected environment is this one (see `requireEnvironment`). */
  readonly expectEnvironment?: Environment;
  /** Secrets Manager client for DB_SECRET_ID. Default: an SDK client for AWS_REGION. */
  readonly secretsClient?: SecretsClient;
  /** How long a secret read is reused, in milliseconds. Default 300000. */
  readonly secretCacheMillis?: number;
  /** Default `console`. */
  readonly logger?: PoolLogger;
  /** Extra `pg.Pool` settings, e.g. `idleTimeoutMillis` (pg default 10000 ms), `connectionTimeoutMillis` (queue wait). */
  readonly tuning?: PoolTuning;
  /**
   * How long a new connection refused for its password (28P01) keeps re-reading the credentials
   * and retrying with backoff, in ms (./waits.ts). Default 15000: a rotation's window between the
   * password change and the new value being readable.
   */
  readonly authRetryMillis?: number;
  /**
   * How long a new connection refused at the role's CONNECTION LIMIT (53300) waits for one of the
   * pool's own connections to come free, in ms (./waits.ts). Default 30000.
   */
  readonly connectionLimitWaitMillis?: number;
}

/** Who and where a pool connects to, without the password. */
export interface PoolTarget {
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly database: string | undefined;
  readonly user: string | undefined;
}

type ConnectCallback = (
  err: Error | undefined,
  client: PoolClient | undefined,
  done: (release?: unknown) => void,
) => void;

/** Which PrecogPool opened each client, so a client handed on alone still knows its environment. */
const CLIENT_POOLS = new WeakMap<object, PrecogPool>();

/** The PrecogPool `client` was taken from, or undefined for any other client. */
export function precogPoolOf(client: object): PrecogPool | undefined {
  return CLIENT_POOLS.get(client);
}

/** A `pg.Pool` that knows its environment, keeps `min` connections and survives password rotation. */
export class PrecogPool extends Pool {
  private readonly policy: ClientPolicy;
  /** The role's CONNECTION LIMIT as pg_roles had it when the pool opened: -1 none, undefined not read. */
  roleConnectionLimit: number | undefined;
  /** Lifts the cap a refusal at the connection limit put on `options.max`. */
  private capTimer: NodeJS.Timeout | undefined;

  constructor(
    config: PoolConfig,
    /** The environment this pool was opened for. */
    readonly environment: Environment,
    /** Bounds in connections. */
    readonly limits: PoolLimits,
    /** Connection target for messages; never holds the password. Its user follows the secret's. */
    public target: PoolTarget,
    /** What to read again after a refused password: the secret, or the .env file; undefined: nothing. */
    private readonly credentials: RereadableCredentials | undefined,
    private readonly logger: PoolLogger,
    /** TLS mode and connect timeout, applied to every new connection (client.ts). */
    connection: Pick<ResolvedConnection, "tls" | "connectTimeoutMillis">,
    /** The bounded waits (./waits.ts). */
    private readonly waits: PoolWaits = DEFAULT_WAITS,
  ) {
    const policy: ClientPolicy = { connection, allowStartsEncrypted: false };
    super({ ...config, Client: clientClassFor(policy), min: limits.min, max: limits.max });
    this.policy = policy;
    this.on("connect", (client) => void CLIENT_POOLS.set(client, this));
    this.on("remove", () => setImmediate(() => this.topUp()));
    // An idle client's error (server restart) is emitted on the pool; without a listener Node
    // would crash the process. The client is already removed; the 'remove' handler refills.
    this.on("error", (err) =>
      this.logger.warn(`precog-db: an idle connection to ${describeTarget(this.target)} failed: ${err.message}`),
    );
  }

  override connect(): Promise<PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<PoolClient> | undefined {
    const result = this.connectRetrying();
    if (callback === undefined) return result;
    result.then(
      (client) => callback(undefined, client, (release) => client.release(release as Error | boolean | undefined)),
      (err: Error) => callback(err, undefined, () => undefined),
    );
  }

  /**
   * Opens connections until `min` are open; resolves when they are, rejects on the first failure.
   * pg-pool hands out idle clients before it opens new ones, so asking for only the missing number
   * would just borrow idle ones (with min 3 and one dropped, the pool stayed at 2). Every idle
   * client is therefore checked out too, all at the same time, so the missing ones must be opened;
   * then all are released. Busy clients are not touched.
   *
   * A client whose backend is killed while held here is logged, and released with its error so
   * the pool drops it (and refills); it cannot crash the process (./client.ts keeps the failure).
   */
  async warm(): Promise<void> {
    const missing = this.limits.min - this.totalCount;
    if (missing <= 0) return;
    const wanted = this.idleCount + missing;
    const settled = await Promise.allSettled(
      Array.from({ length: wanted }, () => this.connect().then((c) => this.hold(c))),
    );
    for (const s of settled) if (s.status === "fulfilled") s.value();
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  }

  /** `user@host:port/database`, safe to log. */
  describe(): string {
    return describeTarget(this.target);
  }

  /** Connects, retrying where the rules say so; failures are explained in terms of variables. */
  private async connectRetrying(): Promise<PoolClient> {
    try {
      return await this.connectOnce();
    } catch (err) {
      throw explainConnectError(err, this.policy.connection, this.describe());
    }
  }

  private async connectOnce(): Promise<PoolClient> {
    const started = Date.now();
    try {
      return await super.connect();
    } catch (err) {
      if (this.policy.connection.tls.mode === "allow" && !this.policy.allowStartsEncrypted && refusedPlaintext(err)) {
        // libpq's allow: the server refused plaintext, so try TLS (and start with it from now on).
        this.policy.allowStartsEncrypted = true;
        return super.connect();
      }
      if (sqlState(err) === TOO_MANY_CONNECTIONS) return this.waitForOwnConnection(err);
      if (this.credentials === undefined || sqlState(err) !== AUTH_FAILED) throw err;
      return this.retryRefusedPassword(this.credentials, err, started);
    }
  }

  /**
   * The server refused a new connection at the role's CONNECTION LIMIT (or its max_connections):
   * opening more would only be refused again, so the pool stops growing at the connections it has
   * (`options.max`, which pg-pool reads on every request, capped for LIMIT_CAP_HOLD_MILLIS after
   * the last refusal) and the caller queues for one of them. A pool with none of its own tries
   * again with backoff, as other processes may free one. After `connectionLimitWaitMillis`, an
   * error naming the limit and the budget, SQLSTATE 53300 kept.
   */
  private async waitForOwnConnection(refusal: unknown): Promise<PoolClient> {
    const bound = this.waits.connectionLimitWaitMillis;
    const deadline = Date.now() + bound;
    let last = refusal;
    for (let attempt = 1; ; attempt++) {
      this.capAtOwnConnections();
      const delay = this.totalCount === 0 ? backoffMillis(attempt) : 0;
      if (Date.now() + delay >= deadline) break;
      await sleep(delay);
      try {
        const client = await this.connectWithin(deadline - Date.now());
        if (client === undefined) break;
        return client;
      } catch (err) {
        if (sqlState(err) !== TOO_MANY_CONNECTIONS) throw err;
        last = err;
      }
    }
    throw this.connectionLimitError(last as Error, bound);
  }

  /** No more connections than the pool has now (at least one), until refusals stop. */
  private capAtOwnConnections(): void {
    this.options.max = Math.max(1, Math.min(this.limits.max, this.totalCount));
    clearTimeout(this.capTimer);
    this.capTimer = setTimeout(() => {
      this.options.max = this.limits.max;
      if (this.ending) return;
      (this as unknown as { _pulseQueue(): void })._pulseQueue(); // queued callers may now open connections
    }, LIMIT_CAP_HOLD_MILLIS);
    this.capTimer.unref();
  }

  /** pg-pool's connect, or undefined after `ms`; a client that comes after that goes back to the pool. */
  private connectWithin(ms: number): Promise<PoolClient | undefined> {
    return new Promise((ok, fail) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        ok(undefined);
      }, ms);
      super.connect().then(
        (client) => {
          if (settled) return client.release();
          settled = true;
          clearTimeout(timer);
          ok(client);
        },
        (err: Error) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          fail(err);
        },
      );
    });
  }

  private connectionLimitError(cause: Error, bound: number): Error {
    const limit = this.roleConnectionLimit;
    const role = this.target.user ?? "(default user)";
    const limitText =
      limit === undefined || limit < 0
        ? `the role ${role}'s CONNECTION LIMIT (pg_roles.rolconnlimit) or the server's max_connections`
        : `the role ${role}'s CONNECTION LIMIT of ${limit}`;
    return Object.assign(
      new Error(
        `${cause.message}: ${this.describe()} is at ${limitText}, and for ${bound} ms (connectionLimitWaitMillis) none of this ` +
          `pool's own ${this.totalCount} connection(s) came free. The budget: every instance's pool may open up to ` +
          `${this.limits.max} (DB_POOL_MAX_CONN, else the stack's pool.max), and instances x that must stay within the limit: ` +
          "lower DB_POOL_MAX_CONN or the number of instances, or raise precog:pool.appInstances (the stack sets the limit from it).",
        { cause },
      ),
      { code: TOO_MANY_CONNECTIONS },
    );
  }

  /**
   * Reads the role's CONNECTION LIMIT and how many connections it has from other processes, on a
   * connection the pool already holds (none open: nothing read), and warns where this pool's max
   * can take the role past its limit: the max above the limit, or the others' connections plus
   * the max above it (instances x pool max over the limit).
   */
  async checkConnectionBudget(): Promise<void> {
    if (this.idleCount === 0) return;
    const r = await this.query<{ limit: number; total: number }>(
      "SELECT r.rolconnlimit AS limit, (SELECT count(*)::int FROM pg_stat_activity a WHERE a.usename = current_user) AS total " +
        "FROM pg_roles r WHERE r.rolname = current_user",
    );
    const row = r.rows[0];
    if (row === undefined) return;
    this.roleConnectionLimit = row.limit;
    if (row.limit < 0) return;
    const others = Math.max(0, row.total - this.totalCount);
    const role = this.target.user;
    if (this.limits.max > row.limit)
      this.logger.warn(
        `precog-db: this pool's max of ${this.limits.max} connections is above the role ${role}'s CONNECTION LIMIT of ${row.limit}: ` +
          "it is refused (53300) before it gets there and then waits for its own connections. Lower DB_POOL_MAX_CONN to the stack's pool.max.",
      );
    else if (others + this.limits.max > row.limit)
      this.logger.warn(
        `precog-db: the role ${role} has ${others} connection(s) open from other processes and a CONNECTION LIMIT of ${row.limit}; ` +
          `this pool's max of ${this.limits.max} can take it past the limit (instances x pool max > ${row.limit}). ` +
          "Lower DB_POOL_MAX_CONN or the number of instances, or raise precog:pool.appInstances.",
      );
  }

  /**
   * The password was probably rotated since it was last read: read the credentials again and
   * retry, with backoff (./waits.ts), until `authRetryMillis` from the first refusal. A rotation
   * may change the password before the new one is readable; the retries bridge that window.
   * Fails with the server's last refusal (its SQLSTATE kept), saying how long it tried.
   */
  private async retryRefusedPassword(
    credentials: RereadableCredentials,
    refusal: unknown,
    started: number,
  ): Promise<PoolClient> {
    const bound = this.waits.authRetryMillis;
    this.logger.warn(
      `precog-db: authentication failed for ${this.describe()}; re-reading ${credentials.description} and retrying for up to ${bound} ms.`,
    );
    const deadline = Date.now() + bound;
    let last = refusal;
    let attemptStarted = started;
    for (let attempt = 0; ; attempt++) {
      const delay = backoffMillis(attempt);
      if (attempt > 0 && Date.now() + delay > deadline) break;
      await sleep(delay);
      credentials.invalidate(attemptStarted);
      await this.followUser();
      attemptStarted = Date.now();
      try {
        return await super.connect();
      } catch (err) {
        if (sqlState(err) !== AUTH_FAILED) throw err;
        last = err;
      }
    }
    const cause = last as Error;
    throw Object.assign(
      new Error(
        `${cause.message} (refused for ${Date.now() - started} ms while re-reading ${credentials.description} with backoff, ` +
          `up to authRetryMillis ${bound} ms: the password there is not the role's; check that the rotation finished)`,
        { cause },
      ),
      { code: AUTH_FAILED },
    );
  }

  /**
   * After an alternating-users rotation the secret names the other login (`<role>_clone` or back):
   * new connections log in as it, as pg-pool builds each client from `options`.
   */
  private async followUser(): Promise<void> {
    const user = await this.credentials?.currentUser?.();
    if (user === undefined || user === this.options.user) return;
    this.logger.warn(
      `precog-db: the credentials now name the login ${user} (was ${this.target.user}); new connections use it.`,
    );
    this.options.user = user;
    this.target = { ...this.target, user };
  }

  /** Listens for `client`'s errors while `warm` holds it; returns the release. */
  private hold(client: PoolClient): () => void {
    let failure: Error | undefined;
    const onError = (err: Error) => {
      if (failure !== undefined) return; // a killed backend errors twice: its FATAL message, then the socket's end
      failure = err;
      this.logger.warn(`precog-db: an idle connection to ${this.describe()} failed: ${err.message}`);
    };
    client.on("error", onError);
    return () => {
      client.off("error", onError);
      client.release(failure);
    };
  }

  private topUp(): void {
    if (this.ending || this.ended || this.totalCount >= this.limits.min) return;
    this.warm().catch((err: Error) =>
      this.logger.warn(`precog-db: could not refill the pool to ${this.limits.min} connections: ${err.message}`),
    );
  }
}

/** Opens the application's pool; see the module header for the rules. */
export async function openPool(options: OpenPoolOptions = {}): Promise<PrecogPool> {
  const { vars, file } = loadVars({ envFile: options.envFile, env: options.env });
  const settings = resolveSettings(vars);
  if (options.expectEnvironment !== undefined) requireEnvironment(options.expectEnvironment, vars);
  // Before any secret is read or socket opened.
  assertProdConfirmed(settings.env, "open a database connection pool", vars);
  // A stale PRECOG_ENV=dev must not reach precog_prod past the guard above. DB_NAME (or the
  // environment's default) is checked here; a secret's dbname once the secret is read.
  assertDatabaseMatches(settings.env, settings.database, "DB_NAME");
  const logger = options.logger ?? console;

  const { target, password, secret, fallback } = await resolveCredentials(settings, vars, options, file);
  const limits = resolvePoolLimits(settings, fallback);
  if (settings.env === "prod") {
    logger.warn(
      `precog-db: WARNING: ${currentOperator(vars)} is opening a connection pool on PROD: ` +
        `${describeTarget(target)} (${limits.min} to ${limits.max} connections).`,
    );
  }
  const config: PoolConfig = {
    ...options.tuning,
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.user,
    password,
    application_name: settings.applicationName,
  };
  const waits = resolveWaits({
    authRetryMillis: options.authRetryMillis,
    connectionLimitWaitMillis: options.connectionLimitWaitMillis,
  });
  const pool = new PrecogPool(config, settings.env, limits, target, secret, logger, settings, waits);
  try {
    await pool.warm();
    await pool.checkConnectionBudget();
  } catch (cause) {
    await pool.end().catch(() => undefined);
    throw new Error(`Cannot open the ${settings.env} pool to ${describeTarget(target)}: ${(cause as Error).message}`, {
      cause,
    });
  }
  return pool;
}

async function resolveCredentials(
  settings: ConnectionSettings,
  vars: Vars,
  options: OpenPoolOptions,
  envFile: string | undefined,
): Promise<{
  target: PoolTarget;
  password: PoolConfig["password"];
  secret: RereadableCredentials | undefined;
  fallback: ReturnType<typeof environmentPoolFallback>;
}> {
  const creds = settings.credentials;
  if (creds.kind === "environment") {
    const target = { host: settings.host, port: settings.port, database: settings.database, user: creds.user };
    const fixed = passwordFor(settings.app, settings, describeTarget(target));
    // The file's DB_PASSWORD (not the process environment's) is read again after a rotation.
    const fromFile = envFile !== undefined && !(options.env ?? process.env).DB_PASSWORD && creds.password !== undefined;
    const file = fromFile ? new EnvFileCredentials(envFile, creds.password) : undefined;
    return {
      target,
      password: file ? () => file.current() ?? fixed() : fixed,
      secret: file,
      fallback: environmentPoolFallback(settings.env),
    };
  }
  const client =
    options.secretsClient ??
    new (secretsSdk().SecretsManagerClient)(vars.AWS_REGION ? { region: vars.AWS_REGION } : {});
  const secret = new SecretCredentials(creds.secretId, client, { cacheMillis: options.secretCacheMillis });
  const s = await secret.current();
  assertDatabaseMatches(settings.env, s.dbname, `dbname in secret "${creds.secretId}"`);
  if (settings.database !== undefined && settings.database !== s.dbname) {
    throw new Error(
      `DB_NAME="${settings.database}" does not match the database in secret "${creds.secretId}" ("${s.dbname}"): ` +
        `unset DB_NAME or point DB_SECRET_ID at the ${settings.env} secret.`,
    );
  }
  const envDefault = environmentPoolFallback(settings.env);
  // The bounds are the secret's tags (what `pulumi up` keeps current), read only when DB_POOL_* leave one unset.
  const tags =
    settings.poolMin === undefined || settings.poolMax === undefined
      ? await readPoolTags(client, creds.secretId)
      : { min: undefined, max: undefined };
  const fromTags = tags.min !== undefined || tags.max !== undefined;
  return {
    // Host, port, database and user are fixed for the pool's life (RDS single-user rotation
    // changes only the password); the password is looked up again for every new connection.
    target: { host: settings.host ?? s.host, port: settings.port ?? s.port, database: s.dbname, user: s.username },
    password: async () => (await secret.current()).password,
    secret,
    fallback: {
      get min() {
        return tags.min ?? envDefault.min;
      },
      get max() {
        return tags.max ?? envDefault.max;
      },
      origin: fromTags ? `from the tags of secret "${creds.secretId}"` : envDefault.origin,
    },
  };
}

/** `user@host:port/database`, without the password. */
export function describeTarget(t: PoolTarget): string {
  return `${t.user ?? "(default user)"}@${t.host ?? "(default host)"}:${t.port ?? 5432}/${t.database ?? "(default database)"}`;
}
