/**
 * bench/pulumi/noop.ts: a no-op `pulumi preview` and a no-op `pulumi up` of the deployed dev stack,
 * each paired against the same command on an empty program with the same engine (the floor), as
 * whole processes, in turn (bench/lib/paired.js).
 *
 *   npm run build && npx ts-node --transpile-only bench/pulumi/noop.ts [RUNS]     (default 10)
 *
 * Starts a private cluster, deploys dev on it in a throwaway copy of the project, and removes both
 * at the end. The floor program is `module.exports = {}` with `@pulumi/pulumi` installed, in a
 * project of its own with a file backend.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { findEngine, PulumiProject, ROOT } from "../../tests/e2e/pulumi-project";
import { startLocalCluster } from "../../tests/helpers/local-cluster";

const RUNS = process.argv[2] ?? "10";
const paired = resolve(__dirname, "../lib/paired.js");

/** A script that runs one pulumi command in `dir` with the project's environment. */
function script(path: string, dir: string, env: NodeJS.ProcessEnv, args: string): string {
  const exports = Object.entries(env)
    .filter(([k, v]) => v !== undefined && (k.startsWith("PULUMI_") || k === "PATH" || k === "CI"))
    .map(([k, v]) => `export ${k}='${v}'`);
  writeFileSync(path, `${exports.join("\n")}\ncd '${dir}'\nexec pulumi ${args} >/dev/null 2>&1\n`);
  return path;
}

async function main(): Promise<void> {
  const cluster = await startLocalCluster();
  const project = new PulumiProject(await findEngine());
  try {
    project.useLocalServer("dev", cluster);
    await project.ok(["stack", "init", "dev"]);
    await project.ok(["up", "--yes", "--skip-preview", "--stack", "dev"]);

    const floor = join(project.dir, "..", "floor");
    mkdirSync(floor);
    writeFileSync(
      join(floor, "Pulumi.yaml"),
      "name: floor\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\n",
    );
    writeFileSync(join(floor, "index.js"), "module.exports = {};\n");
    writeFileSync(join(floor, "package.json"), '{ "name": "floor", "private": true }\n');
    symlinkSync(join(ROOT, "node_modules"), join(floor, "node_modules"));
    const env = project.environment();
    execFileSync("pulumi", ["stack", "init", "floor"], { cwd: floor, env, stdio: "ignore" });
    execFileSync("pulumi", ["up", "--yes", "--skip-preview", "--stack", "floor"], { cwd: floor, env, stdio: "ignore" });

    const work = join(project.dir, "..");
    for (const [name, args] of [
      ["preview", "preview --expect-no-changes"],
      ["up", "up --yes --skip-preview --expect-no-changes"],
    ]) {
      const a = script(join(work, `dev-${name}.sh`), project.dir, env, `${args} --stack dev`);
      const b = script(join(work, `floor-${name}.sh`), floor, env, `${args} --stack floor`);
      console.log(`\nno-op pulumi ${name}: A = dev stack, B = empty program (the floor)`);
      console.log(
        execFileSync("node", [paired, "-n", RUNS, "--vs", `bash ${b}`, "--", "bash", a], {
          encoding: "utf8",
        }).trimEnd(),
      );
    }
  } finally {
    project.remove();
    cluster.stop();
  }
}

void main();
