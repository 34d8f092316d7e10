#!/usr/bin/env node
// inline-cli-up.js: one whole `pulumi up --yes --skip-preview` of a stack whose program is served
// inline from this process (./inline-program.js, "with": the migration provider and component), the
// real CLI run directly: what the Automation API's up runs (the same arguments and environment,
// the program served to the CLI the same way) without the commands it runs around it (`pulumi
// version`, `stack select`, `stack output` twice, `stack history`), which no `pulumi up` a user
// runs includes, and whose time is the same whether the up applies anything or not.
//
//   node bench/lib/inline-cli-up.js <project dir> <stack> <up|apply> <events|no-events>
//
// events: the engine's events streamed here (--event-log), for the step and the phases below; each
// event of the migration resource carries its whole old and new state, so the stream costs the CLI
// and this process more the larger the state: no-events leaves it out (step and phases null).
// up expects no changes (--expect-no-changes); apply is an up that applies what is pending. Prints
// one line of JSON: the migration resource's step as the engine's events tell it, {op, step, cpu}:
// its operation ("same", "update") and the seconds from the engine's event before the step to its
// outputs event, both taken as they arrive here (the events stream over gRPC as they happen); and
// the CPU seconds of this process (the program, served from here: cpu) and of the migration
// provider's plugin (pluginCpu, written by it as it exits: ./cpu-at-exit.js), not of the CLI; and
// the seconds of the CLI's process from its start to its exit (cli) and of each phase of the run
// (phases, as phasesOf says; with events only), and what reading the events took here (eventBytes,
// eventSeconds).
// Environment: BENCH_ENGINE (the CLI's bin folder), the backend's PULUMI_* variables and
// ./inline-program.js's. The CLI's output is discarded; exits non-zero when it fails (its stderr
// then printed).
const { spawn } = require("node:child_process");
const { mkdtempSync, readFileSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { dirname, join, resolve } = require("node:path");
const grpc = require("@grpc/grpc-js");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
const { LanguageServer } = require("@pulumi/pulumi/automation/server");
const eventsrpc = require("@pulumi/pulumi/proto/events_grpc_pb");
const langrpc = require("@pulumi/pulumi/proto/language_grpc_pb");
const { grpcChannelOptions } = require("@pulumi/pulumi/runtime");
const { inlineProgram } = require("./inline-program");

const ROOT = resolve(__dirname, "../..");
const { MIGRATIONS_TYPE } = require(join(ROOT, "dist/pulumi/src/env/migration-resource.js"));
const [dir, stackName, command, events] = process.argv.slice(2);

function serve(service, implementation) {
  const server = new grpc.Server({ ...grpcChannelOptions });
  server.addService(service, implementation);
  return new Promise((ok, fail) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, port) =>
      e ? fail(e) : ok({ server, port }),
    ),
  );
}

async function main() {
  if (!["up", "apply"].includes(command) || !["events", "no-events"].includes(events)) {
    throw new Error("usage: node bench/lib/inline-cli-up.js <project dir> <stack> <up|apply> <events|no-events>");
  }
  const step = { op: undefined, start: undefined, end: undefined };
  // What the event stream cost this process: the characters received and the time taken reading them.
  const received = { bytes: 0, ns: 0n };
  // When each phase ended, as this process saw it: its own start, the CLI's first event, the
  // migration step's start and end, the CLI's summary event, the CLI's exit.
  const at = { spawn: undefined, first: undefined, summary: undefined, exit: undefined };
  const onEvent = (event) => {
    const now = process.hrtime.bigint();
    at.first ??= now;
    const pre = event.resourcePreEvent?.metadata;
    const out = event.resOutputsEvent?.metadata;
    if (pre?.type === MIGRATIONS_TYPE) Object.assign(step, { op: pre.op, start: now });
    if (out?.type === MIGRATIONS_TYPE) step.end = now;
    if (event.summaryEvent) at.summary = now;
  };
  const language = new LanguageServer(async () => inlineProgram("with"));
  const lang = await serve(langrpc.LanguageRuntimeService, language);
  const stream = await serve(eventsrpc.EventsService, {
    streamEvents(call, callback) {
      call.on("data", (request) => {
        const t0 = process.hrtime.bigint();
        const text = request.getEvent();
        onEvent(JSON.parse(text));
        received.bytes += text.length;
        received.ns += process.hrtime.bigint() - t0;
      });
      call.on("end", () => callback(null, new Empty()));
      call.on("error", (e) => callback(e, null));
    },
  });
  // As the Automation API's Stack.up and PulumiCommand.run put them.
  const args = ["up", "--yes", "--skip-preview", ...(command === "up" ? ["--expect-no-changes"] : [])];
  args.push(`--client=127.0.0.1:${lang.port}`, "--exec-kind", "auto.inline");
  if (events === "events") args.push("--event-log", `tcp://127.0.0.1:${stream.port}`);
  args.push("--stack", stackName, "--non-interactive");
  const engine = process.env.BENCH_ENGINE;
  const env = {
    ...process.env,
    PATH: `${engine}:${process.env.PATH}`,
    PULUMI_DEBUG_COMMANDS: "true",
    PULUMI_AUTOMATION_API: "true",
    PULUMI_SKIP_UPDATE_CHECK: "true",
  };
  // The plugin's CPU seconds, which it writes to this file as it exits (./cpu-at-exit.js).
  const pluginCpu = join(mkdtempSync(join(tmpdir(), "precog-plugin-cpu-")), "cpu");
  env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ""} --require ${join(__dirname, "cpu-at-exit.js")}`;
  env.BENCH_CPU_FILE = pluginCpu;
  at.spawn = process.hrtime.bigint();
  const cli = spawn(join(engine, "pulumi"), args, { cwd: dir, env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  cli.stderr.on("data", (d) => {
    stderr += d;
  });
  const code = await new Promise((ok) => cli.on("close", ok));
  at.exit = process.hrtime.bigint();
  language.onPulumiExit(code !== 0);
  lang.server.forceShutdown();
  stream.server.forceShutdown();
  if (code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${code}:\n${stderr}`);
  const seconds = step.start && step.end ? Number(step.end - step.start) / 1e9 : null;
  const { user, system } = process.cpuUsage();
  const plugin = readFileSync(pluginCpu, "utf8")
    .trim()
    .split("\n")
    .reduce((sum, line) => sum + JSON.parse(line).cpu, 0);
  rmSync(dirname(pluginCpu), { recursive: true, force: true });
  process.stdout.write(
    `${JSON.stringify({ op: step.op ?? null, step: seconds, cpu: (user + system) / 1e6, pluginCpu: plugin, cli: Number(at.exit - at.spawn) / 1e9, eventBytes: received.bytes, eventSeconds: Number(received.ns) / 1e9, phases: phasesOf(at, step) })}\n`,
  );
}

/** Seconds of each phase, in order: this process up to the CLI's start, the CLI up to its first event, then up to the migration step, the step, up to the summary event, up to the CLI's exit. */
function phasesOf(at, step) {
  const marks = [at.spawn, at.first, step.start, step.end, at.summary, at.exit];
  if (marks.some((m) => m === undefined)) return null;
  const s = (a, b) => Number(b - a) / 1e9;
  return [process.uptime() - s(at.spawn, process.hrtime.bigint()), ...marks.slice(1).map((m, i) => s(marks[i], m))];
}

main().catch((e) => {
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
});
