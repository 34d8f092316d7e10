/**
 * What the program does before its first step, in one call: the start-up tricks, each kept for
 * its measured gain (docs/pulumi-engine.md, "Timings", and docs/migrations.md have the runs).
 *
 *  1. deferModules (./defer-modules.ts): the SDK's closure tools (TypeScript's compiler, npm's
 *     arborist) and its Automation API load on first use only. `import "@pulumi/pulumi"` loads 326
 *     modules instead of 769. It must run before anything loads the SDK: this module imports none.
 *  2. assertBuildCurrent (./source-digest.ts): the program runs compiled, with no TypeScript loader
 *     (a preview in about 3 s and 190 MB instead of 9 s and 720 MB through ts-node); the price is a
 *     build that must match its sources, so a stale one is refused.
 *  3. usePlainStackTraces (./plain-stack-traces.ts): the SDK takes a stack trace for every resource
 *     and tracked promise; not mapping them through source maps makes a no-op preview of dev 0.89x
 *     the CPU time and 0.94x the wall time.
 *
 * The others live where they act, and are named here so that the list is whole:
 *  4. the migration plugin as one bundled file (./bundle-plugin.ts, at build time): from its launch
 *     to its first line 0.24 s instead of 0.34 s as ~190 modules.
 *  5. the migration provider registered before the rest of the program loads (../program.ts): the
 *     component's paired cost in a no-op preview +0.21 to +0.34 s instead of +0.37 s.
 *  6. `@pulumi/aws` loaded on aws stacks only (../program.ts, ../aws-builders.ts): with 1., a local
 *     stack's preview loads 518 modules instead of 881 (the empty program 400).
 */
import { deferModules } from "./defer-modules";
import { usePlainStackTraces } from "./plain-stack-traces";
import { assertBuildCurrent } from "./source-digest";

/** `root`: the project's folder, where the sources of the compiled program are (if they are). */
export function prepareProgram(root: string): void {
  deferModules();
  try {
    assertBuildCurrent(root);
  } catch (e) {
    // Loaded here, after the deferral; a RunError is printed without a stack trace.
    const { RunError } = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    throw new RunError((e as Error).message);
  }
  usePlainStackTraces();
}
