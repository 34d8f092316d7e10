/** The provider plugin finds the engine's address among its arguments as the SDK's server does. */
import { describe, expect, it } from "vitest";
import { engineAddressOf } from "../../infra/migrations/engine-log";

describe("the engine's address in the plugin's arguments", () => {
  it("is the first argument that is not a logging or tracing flag", () => {
    expect(engineAddressOf(["127.0.0.1:4321"])).toBe("127.0.0.1:4321");
    expect(engineAddressOf(["--logtostderr", "-v=9", "--tracing", "file:/t", "127.0.0.1:4321"])).toBe("127.0.0.1:4321");
  });

  it("is absent without one (the plugin run by hand)", () => {
    expect(engineAddressOf([])).toBeUndefined();
    expect(engineAddressOf(["--logtostderr", "--tracing", "x"])).toBeUndefined();
  });
});
