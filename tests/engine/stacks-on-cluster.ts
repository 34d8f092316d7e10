/**
 * The setup several engine suites share: a local cluster of their own, an inline project, and for
 * each stack named its database and roles provisioned as the program would (./owned-program.ts
 * `prepareDatabase`) with the owned-parts program logging in as that stack's migrator.
 */
import type { PrecogConfig } from "../../src/config/parse";
import type { LoginRole } from "../../src/env/roles";
import { type LocalCluster, startLocalCluster } from "../../testbed/local-cluster";
import { probeServer } from "../../testbed/probes";
import { type InlineProgram, InlineProject } from "./inline-project";
import { ownedProgram, prepareDatabase, stackConfig } from "./owned-program";

export interface StacksOnCluster<S extends string> {
  readonly cluster: LocalCluster;
  readonly project: InlineProject;
  readonly programs: Record<S, InlineProgram>;
  readonly configs: Record<S, PrecogConfig>;
  readonly passwords: Record<S, Record<LoginRole, string>>;
  /** Removes the project and stops the cluster. */
  close(): void;
}

export async function stacksOnCluster<S extends string>(stacks: readonly S[]): Promise<StacksOnCluster<S>> {
  const cluster = await startLocalCluster();
  probeServer(cluster);
  const project = await InlineProject.open();
  const programs = {} as Record<S, InlineProgram>;
  const configs = {} as Record<S, PrecogConfig>;
  const passwords = {} as Record<S, Record<LoginRole, string>>;
  for (const stack of stacks) {
    project.useLocalServer(stack, cluster);
    configs[stack] = await stackConfig(project, stack);
    passwords[stack] = await prepareDatabase(configs[stack]);
    programs[stack] = ownedProgram(project.dir, passwords[stack].migrator);
  }
  return {
    cluster,
    project,
    programs,
    configs,
    passwords,
    close() {
      project.remove();
      cluster.stop();
    },
  };
}
