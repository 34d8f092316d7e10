/**
 * What a login role's Secrets Manager secret carries besides its value: the tags that hold data
 * Pulumi owns. The secret's value belongs to the rotation function after creation (Pulumi writes it
 * once and never again), so config that must follow `pulumi up` (the pool bounds) cannot live in
 * it; tags are the secret's own metadata, rewritten by every `up`, never touched by a rotation, and
 * read with the same client and secret id the credentials come from (DescribeSecret). The stack
 * writes them (infra/credentials/role-secret.ts); the application's pool reads them
 * (src/app/secrets.ts).
 */

/** Tag keys of the app role's pool bounds, in connections per app instance (precog:pool.min/max). */
export const POOL_TAGS = { min: "precog:pool.min", max: "precog:pool.max" } as const;
