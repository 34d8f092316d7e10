/**
 * Pulumi entry point: `pulumi up --stack <dev|test|staging|prod>`. Pulumi runs the compiled form,
 * dist/pulumi/infra/index.js (see Pulumi.yaml); infra/program.ts is the program.
 */
// First, before anything loads the Pulumi SDK: modules a run rarely uses load only if used.
import "./build/modules-deferred";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { usePlainStackTraces } from "./build/plain-stack-traces";
import { assertBuildCurrent } from "./build/source-digest";
import type { StackOutputs } from "./outputs";
import { program } from "./program";

try {
  assertBuildCurrent(resolve(__dirname, "../../.."));
} catch (e) {
  throw new pulumi.RunError((e as Error).message);
}
usePlainStackTraces();
// The stack's outputs are what program() returns (outputs.ts): Pulumi awaits an exported function.
export = (): Promise<StackOutputs> => program();
