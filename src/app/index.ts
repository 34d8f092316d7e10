/**
 * The application's side of precog-db, its public API: environment selection, the connection pool,
 * guards for dangerous operations and `.env` loading. The Precog application imports this module
 * (`precog-db`, or `precog-db/app`: package.json's exports), and so do the project's own tests, so
 * every environment is reached the same way. Environment rules live in src/env and are re-exported here, not re-implemented.
 */
export {
  ENVIRONMENTS,
  PROTECTED_ENVIRONMENTS,
  assertProdConfirmed,
  currentOperator,
  getEnvironment,
  isEnvironment,
  isProdConfirmed,
  requireEnvironment,
  selectEnvironment,
  type Environment,
  type EnvironmentChoice,
  type EnvironmentSource,
} from "../env/environment";
export { ENVIRONMENT_DEFAULTS, type EnvironmentDefaults } from "../env/defaults";
export { loadVars, readEnvFile, type LoadVarsOptions, type LoadedVars, type Vars } from "../env/env-file";
export {
  CONNECT_TIMEOUT_SECONDS,
  resolveConnection,
  type Login,
  type ResolvedConnection,
  type ResolveConnectionOptions,
  type TlsSettings,
} from "../env/connection";
export {
  SSL_MODES,
  environmentPoolFallback,
  resolvePoolLimits,
  resolveSettings,
  type ConnectionSettings,
  type CredentialsSource,
  type PoolFallback,
  type PoolLimits,
  type SslMode,
} from "./settings";
export { SecretCredentials, parseDatabaseSecret, type DatabaseSecret, type SecretCredentialsOptions, type SecretsClient } from "./secrets";
export { PrecogPool, describeTarget, openPool, type OpenPoolOptions, type PoolLogger, type PoolTarget, type PoolTuning } from "./pool";
export { DANGEROUS_ALLOWED, assertDangerousAllowed, assertDangerousTarget, dangerousOperation } from "./guard";
