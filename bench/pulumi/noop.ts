/**
 * bench/pulumi/noop.ts: a no-op `pulumi preview` and a no-op `pulumi up` of the deployed dev stack,
 * each paired against the same command on an empty program with the same engine (the floor), as
 * whole processes, in turn (bench/lib/paired.js).
 *
 *   npm run build && npx ts-node --transpile-only bench/pulumi/noop.ts [RUNS]     (default 10)
 *
 * Starts a private cluster, deploys dev on it in a throwaway copy of the project, and removes both
 * at the end. Two floors, each a project of its own with a file backend and `@pulumi/pulumi`
 * installed: `module.exports = {}` (the engine alone), and a program that only loads the SDK.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../testbed/pulumi-project";
import { pulumiExports, withDeployedDev } from "../lib/deployed-dev";
import { runPaired } from "../lib/paired-run";

const RUNS = Number(process.argv[2] ?? "10");

/** A script that runs one pulumi command in `dir` with the project's environment. */
function script(path: string, dir: string, env: NodeJS.ProcessEnv, args: string): string {
  writeFileSync(path, `${pulumiExports(env).join("\n")}\ncd '${dir}'\nexec pulumi ${args} >/dev/null 2>&1\n`);
  return path;
}

/**
 * The floors: an empty program (what the engine costs by itself), and one that only loads the
 * Pulumi SDK, which any program pays before it can register a resource.
 */
const FLOORS = [
  { name: "floor", description: "empty program (the floor)", index: "module.exports = {};\n" },
  {
    name: "sdk",
    description: "empty program that loads @pulumi/pulumi",
    index: 'require("@pulumi/pulumi");\nmodule.exports = {};\n',
  },
];

/** A project of its own with one deployed stack running `floor.index`, beside the dev copy. */
function floorProject(work: string, floor: (typeof FLOORS)[number], env: NodeJS.ProcessEnv): string {
  const dir = join(work, floor.name);
  mkdirSync(dir);
  writeFileSync(
    join(dir, "Pulumi.yaml"),
    `name: ${floor.name}\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\n`,
  );
  writeFileSync(join(dir, "index.js"), floor.index);
  writeFileSync(join(dir, "package.json"), `{ "name": "${floor.name}", "private": true }\n`);
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  execFileSync("pulumi", ["stack", "init", floor.name], { cwd: dir, env, stdio: "ignore" });
  execFileSync("pulumi", ["up", "--yes", "--skip-preview", "--stack", floor.name], { cwd: dir, env, stdio: "ignore" });
  return dir;
}

async function main(): Promise<void> {
  await withDeployedDev(async (project) => {
    const env = project.environment();
    const work = join(project.dir, "..");
    const floors = FLOORS.map((f) => ({ ...f, dir: floorProject(work, f, env) }));

    for (const [name, args] of [
      ["preview", "preview --expect-no-changes"],
      ["up", "up --yes --skip-preview --expect-no-changes"],
    ]) {
      const a = script(join(work, `dev-${name}.sh`), project.dir, env, `${args} --stack dev`);
      for (const floor of floors) {
        const b = script(join(work, `${floor.name}-${name}.sh`), floor.dir, env, `${args} --stack ${floor.name}`);
        console.log(`\nno-op pulumi ${name}: A = dev stack, B = ${floor.description}`);
        console.log(runPaired(a, b, { runs: RUNS }).report);
      }
    }
  });
}

void main();
