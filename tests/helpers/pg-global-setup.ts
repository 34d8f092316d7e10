/**
 * Vitest global setup: one private PostgreSQL cluster for the whole run (./local-cluster.ts),
 * stopped and removed at the end. Test files reach it through `adminConfig()` in ./pg.ts.
 */
import type { TestProject } from "vitest/node";
import { startLocalCluster } from "../../testbed/local-cluster";

export { freePort } from "../../testbed/local-cluster";

export default async function setup(project: TestProject): Promise<() => void> {
  const cluster = await startLocalCluster();
  const { host, port, user, password, dir } = cluster;
  project.provide("pg", { host, port, user, password, dir });
  return () => cluster.stop();
}

declare module "vitest" {
  export interface ProvidedContext {
    pg: { host: string; port: number; user: string; password: string; dir: string };
  }
}
