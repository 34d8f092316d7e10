#!/usr/bin/env node
// paired.js: times two whole commands in turn (A B A B ...) and prints min / median / max of each
// one's wall seconds and of the ratio A/B taken pair by pair, so that a drift in the machine's
// speed during the run moves both sides alike.
//
//   node bench/lib/paired.js [-n RUNS] [--warmup N] --vs 'B command' -- A command [args...]
//
// B is one string split on spaces (write `sh -c '...'` inside it as separate words is not
// supported: give B as a script path instead). Both commands run without a shell, with stdin
// empty and their output discarded; a non-zero exit is reported, not hidden.

const { spawnSync } = require("node:child_process");

function parse(argv) {
  const o = { runs: 5, warmup: 1, b: null, a: null };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === "-n") o.runs = Number(argv[++i]);
    else if (k === "--warmup") o.warmup = Number(argv[++i]);
    else if (k === "--vs") o.b = argv[++i].split(" ").filter(Boolean);
    else if (k === "--") {
      o.a = argv.slice(i + 1);
      break;
    } else throw new Error(`unknown argument ${k}`);
  }
  if (!o.a || o.a.length === 0 || !o.b || !(o.runs >= 1)) {
    throw new Error("usage: node bench/lib/paired.js [-n RUNS] [--warmup N] --vs 'B command' -- A command [args...]");
  }
  return o;
}

function time(cmd) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd.slice(1), { stdio: ["ignore", "ignore", "ignore"] });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.error) throw r.error;
  if (r.status !== 0) process.stderr.write(`paired: ${cmd.join(" ")} exited ${r.status}\n`);
  return s;
}

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const row = (name, unit, xs, digits) =>
  `${name} ${unit} ${[Math.min(...xs), median(xs), Math.max(...xs)].map((x) => x.toFixed(digits)).join(" ")}`;

const o = parse(process.argv.slice(2));
for (let i = 0; i < o.warmup; i++) {
  time(o.a);
  time(o.b);
}
const a = [],
  b = [],
  ratio = [];
for (let i = 0; i < o.runs; i++) {
  a.push(time(o.a));
  b.push(time(o.b));
  ratio.push(a[i] / b[i]);
}
console.log("        unit min median max");
console.log(row("A wall", "s", a, 3));
console.log(row("B wall", "s", b, 3));
console.log(row("A/B   ", "x", ratio, 3));
