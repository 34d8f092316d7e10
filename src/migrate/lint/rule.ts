/**
 * What a lint rule is: a check of one statement of PostgreSQL's parse tree (libpg-query's JSON),
 * with a little context, that returns a message or nothing. The rule sets (./rules.ts,
 * ./destructive.ts) are written in these terms.
 */

/** A parse-tree node: libpg-query's JSON, one key naming the node type. */
// biome-ignore lint/suspicious/noExplicitAny: untyped JSON the rules walk by key, every step guarded with `?.`
export type Node = Record<string, any>;

export interface RuleContext {
  /** `schema.table` names created earlier in this file (schema "public" when unqualified). */
  readonly newTables: ReadonlySet<string>;
  /** The lock_timeout in force for this statement ("0" means none). */
  readonly lockTimeout: string;
}

export interface Rule {
  readonly id: string;
  /** One line for `precog-db lint --rules` and the docs. */
  readonly summary: string;
  readonly check: (stmt: Node, ctx: RuleContext) => string | undefined;
}
