/**
 * The brief's table of environments: database, application login role and pool bounds. The stack
 * files hold these values as config (tests check that they agree with this table); the application
 * module uses them as defaults when DB_POOL_MIN_CONN / DB_POOL_MAX_CONN are not set.
 */
import type { Environment } from "./environment";

export interface EnvironmentDefaults {
  /** Database name. */
  readonly database: string;
  /** The application's login role. */
  readonly appRole: string;
  /** Pool lower bound, in connections. */
  readonly poolMin: number;
  /** Pool upper bound, in connections. */
  readonly poolMax: number;
  /** Where the server runs as committed. */
  readonly server: "local" | "aws";
}

/**
 * Where scripts/local-pg.sh's private cluster listens (its PRECOG_PG_PORT default), for the local
 * stacks' config defaults and the command's dev/test defaults.
 */
export const LOCAL_SERVER = Object.freeze({ host: "127.0.0.1", port: 54329 });

export const ENVIRONMENT_DEFAULTS: Readonly<Record<Environment, EnvironmentDefaults>> = Object.freeze({
  dev: { database: "precog_dev", appRole: "precog_dev_user", poolMin: 2, poolMax: 10, server: "local" },
  test: { database: "precog_test", appRole: "precog_test_user", poolMin: 2, poolMax: 25, server: "local" },
  staging: { database: "precog_staging", appRole: "precog_staging_user", poolMin: 5, poolMax: 25, server: "aws" },
  prod: { database: "precog_prod", appRole: "precog_app_user", poolMin: 10, poolMax: 50, server: "aws" },
});
