/**
 * What the Pulumi benches share: a dev stack deployed on a private cluster in a throwaway copy of
 * the project (both removed afterwards), optionally with the program of that copy replaced by one
 * without the migration component, the engine's environment as shell `export` lines for the
 * scripts the paired runner times, and the cluster's superuser for the bench's own queries.
 */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ClientConfig } from "pg";
import { type LocalCluster, startLocalCluster } from "../../testbed/local-cluster";
import { findEngine, PulumiProject } from "../../testbed/pulumi-project";

/** Deploys dev on a private cluster, hands both to `use`, then removes the copy and stops the cluster. */
export async function withDeployedDev<T>(
  use: (project: PulumiProject, cluster: LocalCluster) => Promise<T>,
): Promise<T> {
  const cluster = await startLocalCluster();
  const project = new PulumiProject(await findEngine());
  try {
    await deployDev(project, cluster);
    return await use(project, cluster);
  } finally {
    project.remove();
    cluster.stop();
  }
}

/**
 * Two dev stacks, each in a copy of its own on a cluster of its own, deployed from the same
 * config: `full` runs the project's program, `bare` the same program without the migration
 * component (bench/lib/without-migrations.js), so that the two differ by that component alone.
 */
export async function withDeployedDevPair<T>(
  use: (full: { project: PulumiProject; cluster: LocalCluster }, bare: { project: PulumiProject }) => Promise<T>,
): Promise<T> {
  const engine = await findEngine();
  const clusters: LocalCluster[] = [];
  const projects: PulumiProject[] = [];
  try {
    const copy = async (): Promise<{ project: PulumiProject; cluster: LocalCluster }> => {
      const cluster = await startLocalCluster();
      clusters.push(cluster);
      const project = new PulumiProject(engine);
      projects.push(project);
      return { project, cluster };
    };
    const full = await copy();
    const bare = await copy();
    withoutMigrations(bare.project);
    await deployDev(full.project, full.cluster);
    await deployDev(bare.project, bare.cluster);
    return await use(full, bare);
  } finally {
    for (const p of projects) p.remove();
    for (const c of clusters) c.stop();
  }
}

async function deployDev(project: PulumiProject, cluster: LocalCluster): Promise<void> {
  project.useLocalServer("dev", cluster);
  await project.ok(["stack", "init", "dev"]);
  await project.ok(["up", "--yes", "--skip-preview", "--stack", "dev"]);
}

/** Points the copy's Pulumi.yaml at the program without the migration component. */
function withoutMigrations(project: PulumiProject): void {
  const entry = "dist/pulumi/infra/index-without-migrations.js";
  copyFileSync(resolve(__dirname, "without-migrations.js"), join(project.dir, entry));
  const file = join(project.dir, "Pulumi.yaml");
  const yaml = readFileSync(file, "utf8");
  const main = /^main: .*$/m;
  if (!main.test(yaml)) throw new Error(`${file} has no main: line to point at ${entry}`);
  writeFileSync(file, yaml.replace(main, `main: ${entry}`));
}

/** `export K='v'` for the variables a pulumi command needs from `env` (PULUMI_*, PATH, CI). */
export function pulumiExports(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([k, v]) => v !== undefined && (k.startsWith("PULUMI_") || k === "PATH" || k === "CI"))
    .map(([k, v]) => `export ${k}='${v}'`);
}

/** The cluster's superuser on `database` (default postgres), for a bench's own setup and checks. */
export function adminOf(cluster: LocalCluster, database = "postgres"): ClientConfig {
  return { host: cluster.host, port: cluster.port, user: cluster.user, password: cluster.password, database };
}
