/**
 * An environment's values as the tests compare them, read from its committed stack file
 * (Pulumi.<env>.yaml) through the config schema: the one home of them, never a second table.
 */
import { serverKind } from "../../src/config/parse";
import { committedStack } from "../../src/config/stack-file";
import type { Environment } from "../../src/env/environment";

export interface StackFacts {
  readonly database: string;
  readonly appRole: string;
  readonly poolMin: number;
  readonly poolMax: number;
  readonly server: "local" | "aws";
}

export function stackFacts(env: Environment): StackFacts {
  const c = committedStack(env);
  return {
    database: c.database,
    appRole: c.roles.app.name,
    poolMin: c.pool.min,
    poolMax: c.pool.max,
    server: serverKind(c),
  };
}
