/**
 * The application's side of precog-db, its public API: environment selection, the connection pool,
 * guards for dangerous operations and `.env` loading. The Precog application imports this module
 * (`precog-db`, or `precog-db/app`: package.json's exports), and so do the project's own tests, so
 * every environment is reached the same way. Environment rules live in src/env and are re-exported here, not re-implemented.
 */

export { committedStack } from "../config/stack-file";
export {
  CONNECT_TIMEOUT_SECONDS,
  type Login,
  type ResolveConnectionOptions,
  type ResolvedConnection,
  resolveConnection,
  type TlsSettings,
} from "../env/connection";
export { type LoadedVars, type LoadVarsOptions, loadVars, readEnvFile, type Vars } from "../env/env-file";
export {
  assertProdConfirmed,
  currentOperator,
  ENVIRONMENT_TRAITS,
  ENVIRONMENTS,
  type Environment,
  type EnvironmentChoice,
  type EnvironmentSource,
  type EnvironmentTraits,
  environmentsWhere,
  getEnvironment,
  isEnvironment,
  isProdConfirmed,
  PROTECTED_ENVIRONMENTS,
  requireEnvironment,
  selectEnvironment,
} from "../env/environment";
export { POOL_TAGS } from "../env/secret-tags";
export { assertDangerousAllowed, assertDangerousTarget, DANGEROUS_ALLOWED, dangerousOperation } from "./guard";
export {
  describeTarget,
  type OpenPoolOptions,
  openPool,
  type PoolLogger,
  type PoolTarget,
  type PoolTuning,
  PrecogPool,
} from "./pool";
export {
  type DatabaseSecret,
  type PoolTags,
  parseDatabaseSecret,
  readPoolTags,
  SecretCredentials,
  type SecretCredentialsOptions,
  type SecretsClient,
} from "./secrets";
export {
  type ConnectionSettings,
  type CredentialsSource,
  environmentPoolFallback,
  type PoolFallback,
  type PoolLimits,
  resolvePoolLimits,
  resolveSettings,
  SSL_MODES,
  type SslMode,
} from "./settings";
