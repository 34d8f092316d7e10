/**
 * scripts/pulumi-engine.sh and the choice of suites it feeds (tests/helpers/whole-program-suites.ts),
 * with a `pulumi` of the test's own on PATH (a shell script that answers `version` with the locked
 * version and records `plugin install` calls) and a PULUMI_HOME of its own: which upstream plugins it
 * finds missing, at which versions, how `install-plugins` installs them the ordinary way or stops
 * with exit 3 and the commands, and what `npm test` leaves out where they are missing.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WHOLE_PROGRAM_SUITES, wholeProgramExcluded } from "../helpers/whole-program-suites";

const ROOT = resolve(__dirname, "../..");
const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")).packages;
const locked = (name: string) => lock[`node_modules/${name}`].version as string;
const CLI = locked("@pulumi/pulumi");
const WANTED = [
  `language nodejs ${CLI}`,
  `resource postgresql ${locked("@pulumi/postgresql")}`,
  `resource random ${locked("@pulumi/random")}`,
];

let base: string;
let bin: string;
let home: string;

/**
 * A stand-in `pulumi`: `version` prints the locked version; `plugin install KIND NAME VERSION` is
 * logged, then fails (`offline`) or writes the plugin where the real one does.
 */
function fakePulumi(mode: "offline" | "online"): void {
  const script = `#!/bin/sh
case "$1" in
  version) echo v${CLI} ;;
  plugin)
    echo "$*" >> "${base}/installs.log"
    [ "${mode}" = online ] || { echo 'error: failed to download plugin: failed all 5 attempts' >&2; exit 255; }
    mkdir -p "$PULUMI_HOME/plugins/$3-$4-v$5" && printf '#!/bin/sh\\n' > "$PULUMI_HOME/plugins/$3-$4-v$5/pulumi-$3-$4" &&
      chmod +x "$PULUMI_HOME/plugins/$3-$4-v$5/pulumi-$3-$4" ;;
esac
`;
  writeFileSync(join(bin, "pulumi"), script);
  chmodSync(join(bin, "pulumi"), 0o755);
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: `${bin}:/usr/bin:/bin`,
    HOME: base,
    PULUMI_HOME: home,
    PRECOG_CACHE_DIR: join(base, "cache"),
    ...extra,
  };
}

function engine(...args: string[]) {
  const r = spawnSync("bash", [join(ROOT, "scripts/pulumi-engine.sh"), ...args], { encoding: "utf8", env: env() });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function installPlugin(kind: string, name: string, version: string): void {
  const dir = join(home, "plugins", `${kind}-${name}-v${version}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `pulumi-${kind}-${name}`), "#!/bin/sh\n");
  chmodSync(join(dir, `pulumi-${kind}-${name}`), 0o755);
}

function installLanguageHost(): void {
  writeFileSync(join(bin, "pulumi-language-nodejs"), "#!/bin/sh\n");
  chmodSync(join(bin, "pulumi-language-nodejs"), 0o755);
}

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "precog-engine-"));
  bin = join(base, "bin");
  home = join(base, "pulumi-home");
  mkdirSync(bin);
  fakePulumi("offline");
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

describe("scripts/pulumi-engine.sh", () => {
  it("takes a pulumi on PATH at the locked version as it is, and builds nothing", () => {
    const r = engine("env");
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toBe(`export PATH=${bin}:"$PATH"\nexport PULUMI_SKIP_UPDATE_CHECK=true\n`);
    expect(existsSync(join(base, "cache"))).toBe(false);
  });

  it("takes its own build of the CLI, from the cache, where PATH has no pulumi at the locked version", () => {
    const cached = join(base, "cache", "pulumi-cli", `v${CLI}`, "bin");
    mkdirSync(cached, { recursive: true });
    writeFileSync(join(cached, "pulumi"), `#!/bin/sh\necho v${CLI}\n`);
    chmodSync(join(cached, "pulumi"), 0o755);
    writeFileSync(join(bin, "pulumi"), "#!/bin/sh\necho v3.1.0\n");
    expect(engine("path")).toEqual({ status: 0, stdout: `${cached}\n`, stderr: "" });
  });

  it("lists the plugins without building anything, where there is no CLI yet (vitest's config asks on every run)", () => {
    rmSync(join(bin, "pulumi"));
    expect(engine("plugins")).toEqual({ status: 0, stdout: `${WANTED.join("\n")}\n`, stderr: "" });
    expect(existsSync(join(base, "cache"))).toBe(false);
  });

  it("lists the upstream plugins a local deploy needs at the versions package-lock.json locks, while they are missing", () => {
    expect(engine("plugins")).toEqual({ status: 0, stdout: `${WANTED.join("\n")}\n`, stderr: "" });
    installLanguageHost();
    installPlugin("resource", "postgresql", locked("@pulumi/postgresql"));
    installPlugin("resource", "random", "0.0.1");
    expect(engine("plugins").stdout).toBe(`${WANTED[2]}\n`);
    installPlugin("resource", "random", locked("@pulumi/random"));
    writeFileSync(join(home, "plugins", `resource-random-v${locked("@pulumi/random")}.partial`), "");
    expect(engine("plugins").stdout).toBe(`${WANTED[2]}\n`);
    rmSync(join(home, "plugins", `resource-random-v${locked("@pulumi/random")}.partial`));
    expect(engine("plugins")).toEqual({ status: 0, stdout: "", stderr: "" });
  });

  it("install-plugins installs each missing one with `pulumi plugin install` at its locked version, aws too when asked", () => {
    fakePulumi("online");
    installLanguageHost();
    const r = engine("install-plugins", "--with-aws");
    expect([r.status, r.stdout]).toEqual([0, ""]);
    expect(readFileSync(join(base, "installs.log"), "utf8")).toBe(
      [
        `plugin install resource postgresql ${locked("@pulumi/postgresql")}`,
        `plugin install resource random ${locked("@pulumi/random")}`,
        `plugin install resource aws ${locked("@pulumi/aws")}`,
        "",
      ].join("\n"),
    );
    expect(engine("plugins").stdout).toBe("");
    expect(engine("install-plugins").status).toBe(0);
    expect(readFileSync(join(base, "installs.log"), "utf8").split("\n")).toHaveLength(4);
  });

  it("install-plugins stops with exit 3 where they cannot be installed, naming each and the command that installs it", () => {
    const r = engine("install-plugins");
    expect(r.status).toBe(3);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("failed: error: failed to download plugin: failed all 5 attempts");
    expect(r.stderr).toContain(
      [
        "pulumi-engine: missing upstream Pulumi plugins, which could not be installed here:",
        ...WANTED.map((w) => `  ${w}`),
        "Install them where the network allows, then rerun:",
        `  curl -fsSL https://get.pulumi.com | sh -s -- --version ${CLI}   # the CLI with its nodejs language host (a CLI built from source has none)`,
        `  pulumi plugin install resource postgresql ${locked("@pulumi/postgresql")}`,
        `  pulumi plugin install resource random ${locked("@pulumi/random")}`,
        "",
      ].join("\n"),
    );
  });

  it("refuses an unknown command or argument with its usage (exit 2)", () => {
    expect(engine("install-plugins", "--with-gcp").status).toBe(2);
    expect(engine("frobnicate").status).toBe(2);
  });
});

describe("the suites npm test leaves out (tests/helpers/whole-program-suites.ts)", () => {
  it("leaves out the whole-program suites where a plugin is missing, saying which in one line", () => {
    const lines: string[] = [];
    expect(wholeProgramExcluded(env(), (l) => lines.push(l))).toEqual([WHOLE_PROGRAM_SUITES]);
    expect(lines).toEqual([
      `tests/e2e/** not run: the upstream Pulumi plugins ${WANTED.join(", ")} are not installed (bash scripts/pulumi-engine.sh install-plugins)`,
    ]);
  });

  it("fails instead where every suite is required (PRECOG_E2E_REQUIRED=true, as the workflows set it)", () => {
    expect(() => wholeProgramExcluded(env({ PRECOG_E2E_REQUIRED: "true" }), () => {})).toThrow(
      `PRECOG_E2E_REQUIRED=true, but the upstream Pulumi plugins ${WANTED.join(", ")} are not installed: run bash scripts/pulumi-engine.sh install-plugins`,
    );
  });

  it("runs every suite where the plugins are installed, saying nothing", () => {
    installLanguageHost();
    installPlugin("resource", "postgresql", locked("@pulumi/postgresql"));
    installPlugin("resource", "random", locked("@pulumi/random"));
    const lines: string[] = [];
    expect(wholeProgramExcluded(env({ PRECOG_E2E_REQUIRED: "true" }), (l) => lines.push(l))).toEqual([]);
    expect(lines).toEqual([]);
  });
});
