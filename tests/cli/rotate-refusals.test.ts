/**
 * `precog-db rotate` on staging and prod refuses before it reads any stack: the app and readonly
 * roles rotate through Secrets Manager, and the migrator, which logs in by IAM database
 * authentication there, has nothing to rotate (no password, no secret to name).
 */
import { describe, expect, it } from "vitest";
import { runCli } from "../migrate/helpers";

describe("rotate on staging and prod", () => {
  it.each(["staging", "prod"])("%s: the app role rotates its secret in Secrets Manager", async (env) => {
    const r = await runCli(["rotate", "--env", env, "--role", "app"], {});
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `rotate runs on the local stacks (dev, test) only: ${env} rotates through Secrets Manager, never from a workstation. ` +
        `Run \`aws secretsmanager rotate-secret --secret-id precog/${env}/app\``,
    );
  });

  it.each(["staging", "prod"])("%s: the migrator has nothing to rotate, and no secret is named", async (env) => {
    const r = await runCli(["rotate", "--env", env, "--role", "migrator"], {});
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `on ${env} the migrator has nothing to rotate: it logs in by IAM database authentication`,
    );
    expect(r.stderr).not.toContain("precog/");
  });
});
