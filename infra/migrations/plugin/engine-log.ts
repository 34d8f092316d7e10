/**
 * Messages from the provider plugin to the engine, attached to a resource: they show under it in
 * `pulumi preview` and `pulumi up` as the program's `pulumi.log` messages do. The SDK's provider
 * server keeps the engine's address to itself, so the plugin takes it from its own arguments (as
 * the server does) and opens its own client, only when it first has something to say.
 */
import * as grpc from "@grpc/grpc-js";
import type { EngineClient } from "@pulumi/pulumi/proto/engine_grpc_pb";

export interface ResourceLog {
  info(message: string): Promise<void>;
  warn(message: string): Promise<void>;
}

/**
 * The engine's address among a provider plugin's arguments, as the SDK's server reads it: the first
 * argument that is not one of the engine's logging and tracing flags.
 */
export function engineAddressOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--tracing") i++;
    else if (args[i] !== "--logtostderr" && !args[i].startsWith("-v=")) return args[i];
  }
  return undefined;
}

export interface EngineLog {
  /** The log of one resource. */
  of(urn: string): ResourceLog;
  /**
   * Opens the connection to the engine in the background, ahead of a message that is likely to
   * come (the check of a resource whose files changed), so that the message does not wait for it.
   */
  connect(): void;
}

/** The log of the engine at `engineAddress` (the plugin's first argument); none: to stderr. */
export function engineLog(engineAddress: string | undefined): EngineLog {
  let client: EngineClient | undefined;
  const engine = (address: string): EngineClient => {
    if (client === undefined) {
      // grpc-js is the SDK's own copy (the version package.json pins satisfies the SDK's range, so
      // npm installs one; tests/infra/plugin-bundle.test.ts checks it), whose credentials the SDK's
      // generated client accepts.
      const rpc: typeof import("@pulumi/pulumi/proto/engine_grpc_pb") = require("@pulumi/pulumi/proto/engine_grpc_pb");
      client = new rpc.EngineClient(address, grpc.credentials.createInsecure());
    }
    return client;
  };
  const send = (severity: "INFO" | "WARNING", urn: string, message: string): Promise<void> => {
    if (engineAddress === undefined) {
      process.stderr.write(`${severity.toLowerCase()}: ${message}\n`);
      return Promise.resolve();
    }
    const proto: typeof import("@pulumi/pulumi/proto/engine_pb") = require("@pulumi/pulumi/proto/engine_pb");
    const request = new proto.LogRequest();
    request.setSeverity(proto.LogSeverity[severity]);
    request.setMessage(message);
    request.setUrn(urn);
    const client = engine(engineAddress);
    return new Promise((resolve, reject) => client.log(request, (e) => (e ? reject(e) : resolve())));
  };
  return {
    of: (urn) => ({
      info: (m) => send("INFO", urn, m),
      warn: (m) => send("WARNING", urn, m),
    }),
    // A failed connection shows at the first message, which reports it.
    connect: () => {
      if (engineAddress !== undefined) engine(engineAddress).waitForReady(Date.now() + 10_000, () => {});
    },
  };
}
