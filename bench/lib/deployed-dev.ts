/**
 * What the Pulumi benches share: a dev stack deployed on a private cluster in a throwaway copy of
 * the project (both removed afterwards), and the engine's environment as shell `export` lines for
 * the scripts the paired runner times.
 */
import { findEngine, PulumiProject } from "../../tests/e2e/pulumi-project";
import { type LocalCluster, startLocalCluster } from "../../tests/helpers/local-cluster";

/** Deploys dev on a private cluster, hands both to `use`, then removes the copy and stops the cluster. */
export async function withDeployedDev<T>(
  use: (project: PulumiProject, cluster: LocalCluster) => Promise<T>,
): Promise<T> {
  const cluster = await startLocalCluster();
  const project = new PulumiProject(await findEngine());
  try {
    project.useLocalServer("dev", cluster);
    await project.ok(["stack", "init", "dev"]);
    await project.ok(["up", "--yes", "--skip-preview", "--stack", "dev"]);
    return await use(project, cluster);
  } finally {
    project.remove();
    cluster.stop();
  }
}

/** `export K='v'` for the variables a pulumi command needs from `env` (PULUMI_*, PATH, CI). */
export function pulumiExports(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([k, v]) => v !== undefined && (k.startsWith("PULUMI_") || k === "PATH" || k === "CI"))
    .map(([k, v]) => `export ${k}='${v}'`);
}
