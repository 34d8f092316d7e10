/** The provider plugin finds the engine's address among its arguments as the SDK's server does. */
import { describe, expect, it } from "vitest";
import { engineAddressOf } from "../../infra/migrations/plugin/engine-log";

describe("the engine's address in the plugin's arguments", () => {
  it("is the first argument that is not a logging or tracing flag", () => {
    expect(engineAddressOf(["127.0.0.1:4321"])).toBe("127.0.0.1:4321");
    expect(engineAddressOf(["--logtostderr", "-v=9", "--tracing", "file:/t", "127.0.0.1:4321"])).toBe("127.0.0.1:4321");
  });

  it("agrees with the SDK's own reading of the same arguments", () => {
    // The SDK keeps its parser internal (not in its types); the plugin's copy must not drift from it.
    const { parseArgs } = require("@pulumi/pulumi/provider/internals") as {
      parseArgs(args: string[]): { engineAddress: string } | undefined;
    };
    for (const args of [
      ["127.0.0.1:1"],
      ["-v=3", "--logtostderr", "127.0.0.1:2"],
      ["--tracing", "f", "127.0.0.1:3"],
      [],
    ])
      expect(engineAddressOf(args)).toBe(parseArgs(args)?.engineAddress);
  });

  it("is absent without one (the plugin run by hand)", () => {
    expect(engineAddressOf([])).toBeUndefined();
    expect(engineAddressOf(["--logtostderr", "--tracing", "x"])).toBeUndefined();
  });
});
