/**
 * bench/pulumi/deploy-stress.ts: deploys a fresh dev stack many times with the engine's highest
 * parallelism and counts the failures. PostgreSQL refuses concurrent changes to one object's
 * privileges ("tuple concurrently updated"), so a missing order between two privilege changes
 * shows here as a failed run, sooner or later.
 *
 *   npm run build && npx ts-node bench/pulumi/deploy-stress.ts [RUNS]      (default 20)
 *
 * Each run: a new copy of the project with its own state, `pulumi up --parallel 64` of dev on a
 * private cluster, then `pulumi destroy --parallel 64`. Prints each run's result and the count.
 */

import { startLocalCluster } from "../../testbed/local-cluster";
import { type Engine, findEngine, PulumiProject } from "../../testbed/pulumi-project";

const RUNS = Number(process.argv[2] ?? 20);
const PARALLEL = "64";

/** One run on a cluster of its own, so that a failed run leaves nothing for the next. */
async function deployOnce(engine: Engine): Promise<string | undefined> {
  const cluster = await startLocalCluster();
  const project = new PulumiProject(engine);
  try {
    project.useLocalServer("dev", cluster);
    await project.ok(["stack", "init", "dev"]);
    for (const verb of ["up", "destroy"]) {
      const r = await project.run([verb, "--yes", "--skip-preview", "--parallel", PARALLEL, "--stack", "dev"]);
      if (r.code !== 0) return `${verb}: ${(r.all.match(/error: .*/g) ?? ["(no error line)"]).slice(0, 2).join(" | ")}`;
    }
    return undefined;
  } finally {
    project.remove();
    cluster.stop();
  }
}

async function main(): Promise<void> {
  const engine = await findEngine();
  let failed = 0;
  for (let i = 1; i <= RUNS; i++) {
    const failure = await deployOnce(engine);
    if (failure) failed++;
    console.log(`run ${i}: ${failure ? `FAILED ${failure}` : "ok"}`);
  }
  console.log(
    `${RUNS} deploys and destroys of a fresh dev stack at --parallel ${PARALLEL}: ${RUNS - failed} succeeded, ${failed} failed`,
  );
  process.exitCode = failed ? 1 : 0;
}

void main();
