/**
 * What only the aws stacks build: the RDS server, its proxy, the role secrets in Secrets Manager
 * and their rotation, and the provider's region. Every module that imports `@pulumi/aws` is reached
 * from here only, and the program loads this module only on an aws stack (program.ts), so a local
 * stack never loads `@pulumi/aws` (its ~300 modules). Elsewhere, import its types only
 * (`import type`, erased from the compiled program).
 */
import * as aws from "@pulumi/aws";

export { RoleSecret } from "./credentials/role-secret";
export { RotationAlarm, RotationFunction } from "./credentials/rotation";
export { caBundlePath, RdsServer } from "./server/rds";
export { RdsProxy } from "./server/rds-proxy";

/** The region of the stack's AWS provider (aws:region), which the pre-migration snapshot is taken in. */
export function awsRegion(): string {
  return aws.config.requireRegion();
}
