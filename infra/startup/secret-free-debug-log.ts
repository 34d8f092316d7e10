/**
 * `pulumi up --debug` printed the admin's, the migrator's and the app's passwords in clear (issue
 * 30, item 11). The program sends them only as secrets, but the Node SDK logs the response of
 * each resource RPC at debug level (`RegisterResource RPC finished: <resource>; err: null, resp:
 * <the response>`), and a response holds the resource's outputs in wire form: a secret there is
 * its marker beside its plaintext. That log line is a plain string sent to the engine, which prints
 * it. So the program's debug messages go out with any part that holds a secret cut off: the RPC
 * and the resource are still named, the response is not shown.
 */

/** Pulumi's wire marker for a secret value. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

type Debug = (message: string, ...rest: unknown[]) => Promise<void>;

/** Installs the filter on the SDK's debug log, once per process. */
export function keepSecretsOutOfDebugLog(): void {
  const log = require("@pulumi/pulumi/log") as { debug: Debug & { secretFree?: true } };
  if (log.debug.secretFree) return;
  const debug = log.debug;
  const filtered: Debug & { secretFree?: true } = (message, ...rest) => debug(secretFree(message), ...rest);
  filtered.secretFree = true;
  log.debug = filtered;
}

/** `message` up to the first part that holds a secret. */
export function secretFree(message: string): string {
  if (typeof message !== "string" || !message.includes(SECRET_SIG)) return message;
  const at = message.indexOf(", resp: ");
  const head = at >= 0 ? message.slice(0, at) : message.slice(0, message.indexOf(SECRET_SIG)).replace(/[^;:]*$/, "");
  return `${head} (the rest is not shown: it holds a secret)`;
}
