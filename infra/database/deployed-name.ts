/**
 * A change of `precog:database` on a deployed stack is refused (issue 30, item 6). Pulumi would
 * rename the database in place (the provider's update), the roles named after it likewise, and
 * replace every grant on the old name, which no longer exists: the `up` fails half done and every
 * later one with it, until a refresh. So the program reads the name the stack last deployed (its
 * own `database` output, through a StackReference to itself) before it registers anything that
 * depends on the name, and refuses a different one. Moving an environment to another database is
 * an explicit step, documented in docs/stacks.md: destroy the stack (dev, test) or build the new
 * database in a new stack and move the data (staging, prod), then point the stack at it.
 */
import * as pulumi from "@pulumi/pulumi";

/** The stack's own last outputs, one reference for every check that reads them (../server/parameters-now.ts too). */
export function deployedOutputs(name: string): pulumi.StackReference {
  return new pulumi.StackReference(`${name}-deployed`, {
    name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
  });
}

/** Resolves when `configured` is the name the stack deployed last, or it has deployed none; throws otherwise. */
export async function assertDatabaseUnchanged(
  name: string,
  configured: string,
  self: pulumi.StackReference = deployedOutputs(name),
): Promise<void> {
  const stack = pulumi.getStack();
  const details = await self.getOutputDetails("database");
  const deployed = details.value ?? details.secretValue;
  if (typeof deployed !== "string" || deployed === configured) return;
  throw new pulumi.RunError(
    `Stack "${stack}" deployed the database "${deployed}", and precog:database in Pulumi.${stack}.yaml now says "${configured}". ` +
      "Pulumi would rename the database and its roles in place and wedge every later up, so a change of name is refused. " +
      `Set precog:database back to "${deployed}", or move to the new database as an explicit step (docs/stacks.md, ` +
      '"Changing precog:database"). Nothing was changed.',
  );
}
