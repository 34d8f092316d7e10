/**
 * Database credentials from the AWS Secrets Manager secret that the cloud stacks create and that
 * AWS's RDS PostgreSQL rotation Lambda rotates. The pool asks for the AWSCURRENT version when it
 * opens a new connection (cached briefly, so a burst of connects is one call), and after an
 * authentication failure it invalidates the cache and asks again: that is how a rotation that
 * happened since the last read is picked up without restarting the application.
 *
 * The pool bounds are not in the secret's value (the rotation function owns it once created, so a
 * bound written there would never follow config): they are the secret's tags (src/env/secret-tags.ts),
 * read once when a pool opens with `DescribeSecret`, and only when DB_POOL_* leave a bound unset.
 *
 * The client is injectable (`SecretsClient`, the one method of the SDK client we use), so tests run
 * the real pool against a real PostgreSQL server with a fake secret store.
 */
import type {
  DescribeSecretCommand,
  DescribeSecretCommandOutput,
  GetSecretValueCommand,
  GetSecretValueCommandOutput,
} from "@aws-sdk/client-secrets-manager";
import { POOL_TAGS } from "../env/secret-tags";

type Sdk = typeof import("@aws-sdk/client-secrets-manager");

/** The AWS SDK, loaded on first use: local environments never pay for it. */
export function secretsSdk(): Sdk {
  return require("@aws-sdk/client-secrets-manager") as Sdk;
}

/** The part of `SecretsManagerClient` used here: `send` of GetSecretValueCommand and DescribeSecretCommand. */
export interface SecretsClient {
  send(command: GetSecretValueCommand): Promise<Pick<GetSecretValueCommandOutput, "SecretString" | "VersionId">>;
  send(command: DescribeSecretCommand): Promise<Pick<DescribeSecretCommandOutput, "Tags">>;
}

/** The secret's JSON as the stacks write it: the format AWS's RDS PostgreSQL rotation functions read. */
export interface DatabaseSecret {
  readonly host: string;
  /** TCP port. */
  readonly port: number;
  readonly dbname: string;
  readonly username: string;
  readonly password: string;
  /** Secrets Manager's version id of what was read, for logs (never the value). */
  readonly versionId: string | undefined;
}

export interface SecretCredentialsOptions {
  /** How long a read is reused, in milliseconds. Default 300000 (5 minutes); 0 reads on every connect. */
  readonly cacheMillis?: number;
  /** Clock, for tests. Default `Date.now`. */
  readonly now?: () => number;
}

/** Reads, caches and re-reads one database secret. */
export class SecretCredentials {
  private cached: { secret: DatabaseSecret; at: number } | undefined;
  private inflight: Promise<DatabaseSecret> | undefined;
  private readonly cacheMillis: number;
  private readonly now: () => number;

  constructor(
    /** Secret name or ARN. */
    readonly secretId: string,
    private readonly client: SecretsClient,
    options: SecretCredentialsOptions = {},
  ) {
    this.cacheMillis = options.cacheMillis ?? 300_000;
    this.now = options.now ?? Date.now;
  }

  /** The username the secret holds now (an alternating-users rotation changes it). */
  async currentUser(): Promise<string> {
    return (await this.current()).username;
  }

  /** How a warning names it. */
  get description(): string {
    return `secret "${this.secretId}"`;
  }

  /** The AWSCURRENT secret, from the cache when fresh; concurrent callers share one request. */
  async current(): Promise<DatabaseSecret> {
    const c = this.cached;
    if (c !== undefined && this.now() - c.at < this.cacheMillis) return c.secret;
    if (this.inflight === undefined) {
      this.inflight = this.fetch()
        .then((secret) => {
          this.cached = { secret, at: this.now() };
          return secret;
        })
        .finally(() => {
          this.inflight = undefined;
        });
    }
    return this.inflight;
  }

  /**
   * Forgets the cached secret if the read finished no later than `since` (ms since epoch), the
   * moment the failed connection attempt began: that attempt may have used a password rotated
   * since. A read finished after that is already fresh, so many connections failing together
   * cause one re-read, not one each.
   */
  invalidate(since: number): void {
    if (this.cached !== undefined && this.cached.at <= since) this.cached = undefined;
  }

  private async fetch(): Promise<DatabaseSecret> {
    let out: Pick<GetSecretValueCommandOutput, "SecretString" | "VersionId">;
    try {
      const command = new (secretsSdk().GetSecretValueCommand)({ SecretId: this.secretId, VersionStage: "AWSCURRENT" });
      out = await this.client.send(command);
    } catch (cause) {
      throw new Error(`Cannot read the database secret "${this.secretId}": ${(cause as Error).message}`, { cause });
    }
    if (out.SecretString === undefined) {
      throw new Error(`The database secret "${this.secretId}" has no SecretString (binary secrets are not supported).`);
    }
    return parseDatabaseSecret(out.SecretString, this.secretId, out.VersionId);
  }
}

/**
 * Checks the secret's JSON. Messages name the secret and the fields, never a value: the parser's
 * own message is dropped on purpose because it quotes the text, which holds the password.
 */
export function parseDatabaseSecret(text: string, secretId: string, versionId?: string): DatabaseSecret {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`The database secret "${secretId}" is not valid JSON.`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new Error(`The database secret "${secretId}" is not a JSON object.`);
  }
  const o = raw as Record<string, unknown>;
  const problems: string[] = [];
  const str = (k: string): string => {
    const v = o[k];
    if (typeof v === "string" && v !== "") return v;
    problems.push(`${k} is missing or not a non-empty string`);
    return "";
  };
  const num = (k: string): number | undefined => {
    const v = o[k];
    // The rotation Lambda writes port as a number; hand-written secrets often have a string.
    const n = typeof v === "string" && /^[0-9]+$/.test(v) ? Number(v) : v;
    if (typeof n === "number" && Number.isSafeInteger(n) && n >= 0) return n;
    problems.push(`${k} is ${v === undefined ? "missing" : "not a whole number"}`);
    return undefined;
  };
  if (o.engine !== undefined && o.engine !== "postgres") problems.push(`engine is not "postgres"`);
  const secret: DatabaseSecret = {
    host: str("host"),
    port: num("port") ?? 0,
    dbname: str("dbname"),
    username: str("username"),
    password: str("password"),
    versionId,
  };
  if (problems.length > 0) {
    throw new Error(`The database secret "${secretId}" is unusable: ${problems.join("; ")}.`);
  }
  return Object.freeze(secret);
}

/** The pool bounds a secret's tags name, in connections; a bound without its tag is undefined. */
export interface PoolTags {
  readonly min: number | undefined;
  readonly max: number | undefined;
}

/**
 * Reads the pool bounds from the secret's tags (POOL_TAGS). A secret without them (one made by
 * hand) gives undefined bounds; a tag that is not a whole number is an error naming the tag.
 */
export async function readPoolTags(client: SecretsClient, secretId: string): Promise<PoolTags> {
  let tags: readonly { Key?: string; Value?: string }[];
  try {
    const command = new (secretsSdk().DescribeSecretCommand)({ SecretId: secretId });
    tags = (await client.send(command)).Tags ?? [];
  } catch (cause) {
    throw new Error(
      `Cannot read the pool bounds of the database secret "${secretId}" (its tags ${POOL_TAGS.min}, ${POOL_TAGS.max}): ` +
        `${(cause as Error).message}. Allow secretsmanager:DescribeSecret on the secret, or set DB_POOL_MIN_CONN and DB_POOL_MAX_CONN.`,
      { cause },
    );
  }
  const problems: string[] = [];
  const bound = (key: string): number | undefined => {
    const value = tags.find((t) => t.Key === key)?.Value;
    if (value === undefined) return undefined;
    if (/^[0-9]+$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
    problems.push(`tag ${key}="${value}" is not a whole number of connections`);
    return undefined;
  };
  const bounds = { min: bound(POOL_TAGS.min), max: bound(POOL_TAGS.max) };
  if (problems.length > 0)
    throw new Error(
      `The database secret "${secretId}" is unusable: ${problems.join("; ")}. The stack writes these tags on every \`pulumi up\`.`,
    );
  return bounds;
}
