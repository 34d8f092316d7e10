/**
 * Stack traces as V8 writes them, naming the compiled files (dist/pulumi/infra/…, one file a
 * source file, beside its source map), not mapped back to TypeScript.
 *
 * Pulumi's Node.js runner installs source-map-support before it loads the program, and the SDK
 * takes a stack trace eagerly for every resource it registers (the resource's source position)
 * and for every promise it tracks (for its report of leaked promises). Mapping those traces frame
 * by frame through the SDK's and the program's source maps was most of the program's own CPU time
 * in a no-op preview of dev (docs/pulumi-engine.md, "Timings"). The program is compiled
 * JavaScript with readable output, so its traces and source positions name the compiled files.
 */
export function usePlainStackTraces(): void {
  // V8 formats a trace itself when Error has no prepareStackTrace of its own.
  delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
}
