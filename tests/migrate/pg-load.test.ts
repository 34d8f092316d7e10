/**
 * How the engine loads pg (src/migrate/pg.ts `requirePg`): without Node's fetch (undici), which
 * pg's Cloudflare check would load through the global `Response` on a Node without `navigator`,
 * with pg still on Node's own sockets, and with the global scope as it was. Each case in a fresh
 * node process, as the command runs, on the compiled engine.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertDistFresh, REPO } from "./helpers";

/** Runs `body` in a fresh node (with `pg` and `net` in scope) and returns what it printed, parsed. */
function inFreshNode(load: string, body = ""): Record<string, unknown> {
  assertDistFresh();
  const script = [
    `const pg = ${load};`,
    body,
    'const stream = require("pg/lib/stream");',
    "console.log(JSON.stringify({",
    '  undici: process.moduleLoadList.some((m) => m.includes("undici")),',
    "  navigator: typeof navigator === 'undefined' ? 'none' : navigator.userAgent,",
    '  nodeSocket: stream.getStream(false) instanceof require("net").Socket,',
    "  client: typeof pg.Client,",
    "}));",
  ].join("\n");
  return JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: REPO, encoding: "utf8" }));
}

const requirePg = `require(${JSON.stringify(join(REPO, "dist/migrate/pg.js"))}).requirePg()`;
/**
 * Node 20 has no global `navigator` (the case requirePg is for); Node 22, which package.json also
 * allows, has one. The cases about the lend take it away first, so they show the same on either.
 */
const withoutNavigator = (load: string) => `(() => { delete globalThis.navigator; return ${load}; })()`;

describe("loading pg for the engine", () => {
  it("a plain require('pg') on a Node without navigator loads undici: the reason requirePg exists", () => {
    // When this fails (a pg without the Response check), requirePg's lend can go.
    expect(inFreshNode(withoutNavigator('require("pg")'))).toEqual({
      undici: true,
      navigator: "none",
      nodeSocket: true,
      client: "function",
    });
  });

  it("requirePg does not load undici, keeps pg on Node's sockets, and takes back the navigator it lent", () => {
    expect(inFreshNode(withoutNavigator(requirePg))).toEqual({
      undici: false,
      navigator: "none",
      nodeSocket: true,
      client: "function",
    });
  });

  it("a navigator already there is left as it is", () => {
    const lent = 'globalThis.navigator = { userAgent: "already here" };';
    expect(inFreshNode(`(() => { ${lent} return ${requirePg}; })()`)).toEqual({
      undici: false,
      navigator: "already here",
      nodeSocket: true,
      client: "function",
    });
  });
});
