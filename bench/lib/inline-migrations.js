#!/usr/bin/env node
// inline-migrations.js: one whole `pulumi preview` or `pulumi up` of a stack whose program is served
// inline from this process through the Automation API and the real CLI (the only plugin it starts is
// the project's own migration provider, or a do-nothing one), for the benches to time
// (bench/pulumi/migrations-ledger-size.ts, migrations-apply-slope.ts, bench/history/run.sh).
//
//   node bench/lib/inline-migrations.js <project dir> <stack> <preview|up|apply|deploy|refresh> <with|without|floor mode>
//
// preview and up expect no changes (--expect-no-changes); apply is an up that applies what is
// pending, quietly; deploy is the setup's first up, its output printed; refresh reads the
// resources back (the migration resource: its ledger from the history table), quietly.
// "with", "without" and a mode of FLOORS: the program with or without the migration provider and
// component, or with a do-nothing provider in their place (./inline-program.js, which names the
// variables it reads); also from the environment: BENCH_ENGINE (the CLI's bin folder) and the
// backend's PULUMI_* variables.
// Exits non-zero when the command fails (paired.js reports it).
const { dirname } = require("node:path");
const { LocalWorkspace, PulumiCommand } = require("@pulumi/pulumi/automation");
const { FLOORS, inlineProgram } = require("./inline-program");
const [dir, stackName, command, mode] = process.argv.slice(2);

async function main() {
  if (
    !["preview", "up", "apply", "deploy", "refresh"].includes(command) ||
    !["with", "without", ...Object.keys(FLOORS)].includes(mode)
  ) {
    throw new Error(
      `usage: node bench/lib/inline-migrations.js <project dir> <stack> <preview|up|apply|deploy|refresh> <with|without|${Object.keys(FLOORS).join("|")}>`,
    );
  }
  const pulumiCommand = await PulumiCommand.get({ root: dirname(process.env.BENCH_ENGINE), skipVersionCheck: true });
  const stack = await LocalWorkspace.selectStack(
    { stackName, workDir: dir },
    {
      workDir: dir,
      program: async () => inlineProgram(mode),
      pulumiCommand,
      envVars: { PULUMI_SKIP_UPDATE_CHECK: "true" },
    },
  );
  if (command === "preview") await stack.preview({ expectNoChanges: true });
  else if (command === "up") await stack.up({ expectNoChanges: true });
  else if (command === "apply") await stack.up();
  else if (command === "refresh") await stack.refresh();
  else await stack.up({ onOutput: (s) => process.stdout.write(s) });
}

main().catch((e) => {
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
});
