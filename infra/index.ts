/**
 * Pulumi entry point: `pulumi up --stack <dev|test|staging|prod>`. Pulumi runs the compiled form,
 * dist/pulumi/infra/index.js (see Pulumi.yaml); infra/program.ts is the program. Its start-up
 * (./startup/prepare-program.ts, each trick with its measured gain) runs first, before anything
 * loads the Pulumi SDK, so the program is loaded only when Pulumi calls it.
 */
import { resolve } from "node:path";
import type { StackOutputs } from "./outputs";
import { prepareProgram } from "./startup/prepare-program";

prepareProgram(resolve(__dirname, "../../.."));

// The stack's outputs are what program() returns (outputs.ts): Pulumi awaits an exported function.
export = async (): Promise<StackOutputs> => (await import("./program")).program();
