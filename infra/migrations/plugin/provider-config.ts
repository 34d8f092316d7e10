/**
 * The migration provider's own config (../contract.ts `MigrationsProviderConfig`: on local stacks
 * the migrator's password), through the two calls of the provider protocol the SDK's provider
 * server (`@pulumi/pulumi/provider` `main`) leaves out: its Configure accepts the config without
 * handing it over, and its DiffConfig is unimplemented, which the engine takes for "changed
 * whenever the inputs differ" (an update of the provider in every preview after a rotation). So
 * `serveConfig` adds both to the service `main` registers:
 *
 *   Configure    stores the config where ./login.ts reads it
 *   DiffConfig   a changed credential (PROVIDER_CREDENTIALS) is no change; a credential that
 *                appears or goes, or any other key's change, is one (an update, never a replace)
 *
 * Its Configure also says the plugin supports previews of Create and Update (./previews.ts).
 *
 * What the engine then does, as the CLI showed (tests/engine/rotation.test.ts): when DiffConfig
 * says no change, the provider's "same" step records the new config in the state but configures
 * the plugin with the config recorded before; the next run, and any refresh, configures it with
 * the new one. `precog-db rotate` generates the password in an `up` of its own, which records it
 * (the engine includes providers in every targeted `up`) before the role gets it.
 */
import * as grpc from "@grpc/grpc-js";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { MIGRATIONS_PACKAGE } from "../../../src/env/migration-resource";
import { type MigrationsProviderConfig, PROVIDER_CREDENTIALS } from "../contract";
import { providerConfig } from "./login";
import { unwrapSecrets } from "./wire-secrets";

type Unary = (call: { request: unknown }, callback: (err: unknown, resp?: unknown) => void) => void;

/**
 * Makes the next service registered on a gRPC server (the SDK's provider) answer Configure and
 * DiffConfig here; `also` changes the rest of it before it is registered (./previews.ts).
 */
export function serveConfig(also?: (impl: Record<string, Unary>) => void): void {
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (service, implementation) {
    grpc.Server.prototype.addService = addService;
    const impl = implementation as Record<string, Unary>;
    impl.configure = configure;
    impl.diffConfig = diffConfig;
    also?.(impl);
    return addService.call(this, service, implementation);
  };
}

const configure: Unary = (call, callback) => {
  try {
    const req = call.request as provproto.ConfigureRequest;
    providerConfig.current = configOf(req);
    const resp = new provproto.ConfigureResponse();
    // As the SDK's own Configure answers: secrets arrive marked (./wire-secrets.ts).
    resp.setAcceptsecrets(true);
    resp.setAcceptresources(true);
    resp.setAcceptoutputs(true);
    // Previews of Create and Update come here with their flag set, answered by ./previews.ts.
    resp.setSupportspreview(true);
    callback(null, resp);
  } catch (e) {
    callback(e);
  }
};

const diffConfig: Unary = (call, callback) => {
  try {
    const req = call.request as provproto.DiffRequest;
    const olds = plain(req.getOldInputs() ?? req.getOlds());
    const news = plain(req.getNews());
    const changed = changedKeys(olds, news);
    const resp = new provproto.DiffResponse();
    resp.setChanges(
      changed.length > 0 ? provproto.DiffResponse.DiffChanges.DIFF_SOME : provproto.DiffResponse.DiffChanges.DIFF_NONE,
    );
    resp.setDiffsList(changed);
    callback(null, resp);
  } catch (e) {
    callback(e);
  }
};

/** The keys whose change is a change of the provider: any key but a credential whose value alone changed. */
export function changedKeys(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(olds), ...Object.keys(news)])].sort();
  return keys.filter((k) => {
    if (!(k in olds) || !(k in news)) return true;
    if ((PROVIDER_CREDENTIALS as readonly string[]).includes(k)) return false;
    return JSON.stringify(olds[k]) !== JSON.stringify(news[k]);
  });
}

function configOf(req: provproto.ConfigureRequest): MigrationsProviderConfig {
  const args = req.getArgs();
  if (args) return plain(args) as MigrationsProviderConfig;
  // An engine that sends only the legacy variables: "<package>:config:<key>" -> value (the package prefixes each).
  const prefix = `${MIGRATIONS_PACKAGE}:config:`;
  const config: Record<string, string> = {};
  for (const [k, v] of req.getVariablesMap().entries()) if (k.startsWith(prefix)) config[k.slice(prefix.length)] = v;
  return config;
}

function plain(s: { toJavaScript(): Record<string, unknown> } | undefined): Record<string, unknown> {
  return s ? unwrapSecrets<Record<string, unknown>>(s.toJavaScript()) : {};
}
