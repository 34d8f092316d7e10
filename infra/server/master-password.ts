/**
 * The master login's password, which the program never reads (the deployer and the migrator log
 * in by IAM; the master is for the bootstrap and break-glass only):
 *
 *   no replicas    RDS manages it in Secrets Manager (manageMasterUserPassword), encrypted with the
 *                  stack's key and rotated by RDS: no password in the stack's state.
 *   replicas       RDS refuses to create a read replica of such an instance, so the stack sets a
 *                  generated one: 40 letters and digits, a secret in the state (encrypted with the
 *                  stack's secrets provider, a KMS key per aws stack), never rotated. Break-glass
 *                  resets it (`aws rds modify-db-instance --master-user-password`), which the stack
 *                  does not undo: the provider cannot read a password back, and this one is set
 *                  only when the instance is created or switched to this mode.
 *
 * docs/operations.md, "Break-glass: the master login", has both procedures and the switch.
 */
import type * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { RdsConfig } from "../../src/config/parse";

export function masterPasswordInputs(
  name: string,
  rds: Pick<RdsConfig, "replicas">,
  keyArn: pulumi.Input<string>,
  protect: boolean,
  parent: pulumi.Resource,
) {
  if (!rds.replicas) return { manageMasterUserPassword: true, masterUserSecretKmsKeyId: keyArn };
  const password = new random.RandomPassword(name, { length: 40, special: false }, { parent, protect });
  // manageMasterUserPassword left out, not false: the provider takes an explicit false as set and
  // refuses it with a password (they conflict); on the switch its update sends
  // ManageMasterUserPassword=false with the password.
  return { password: password.result };
}
