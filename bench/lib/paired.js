#!/usr/bin/env node
// paired.js: times two whole commands in turn (A B A B ...) and prints min / median / max of each
// one's wall seconds and of the ratio A/B taken pair by pair, so that a drift in the machine's
// speed during the run moves both sides alike.
//
//   node bench/lib/paired.js [-n RUNS] [--warmup N] [--timeout SECONDS] [--json FILE] --vs 'B command' -- A command [args...]
//
// B is one string split into words as a shell would, with '...' and "..." quoting (no variables,
// no globs): --vs "sh -c 'reset && exec psql ...'" works. Both commands run without a shell, with
// stdin empty and their output discarded; a non-zero exit is reported, not hidden. --timeout
// bounds the whole call (default 100 s): the pairs finished by then are printed.
//
// Output (the rows bench/migrate/run.sh reads):
//   A wall s    <min> <median> <max>
//   B wall s    <min> <median> <max>
//   A/B wall    <min> <median> <max>
// --json FILE also writes the same figures to FILE, for a caller that would otherwise parse those
// rows (bench/lib/paired-run.ts): { cores, runs, pairs, load: { start, end },
// a / b / ratio: { min, median, max, samples } }.

const { spawnSync } = require("node:child_process");
const { cpus, loadavg } = require("node:os");

const USAGE =
  "usage: node bench/lib/paired.js [-n RUNS] [--warmup N] [--timeout SECONDS] [--json FILE] --vs 'B command' -- A command [args...]";

/** Splits `text` into words the way a shell does for plain words and '...' / "..." quotes. */
function words(text) {
  const out = [];
  let word = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unterminated ${c} in --vs ${JSON.stringify(text)}`);
      word = (word ?? "") + text.slice(i + 1, end);
      i = end;
    } else if (/\s/.test(c)) {
      if (word !== null) out.push(word);
      word = null;
    } else word = (word ?? "") + c;
  }
  if (word !== null) out.push(word);
  return out;
}

function parse(argv) {
  const o = { runs: 5, warmup: 1, timeoutS: 100, json: null, b: null, a: null };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === "-n") o.runs = Number(argv[++i]);
    else if (k === "--warmup") o.warmup = Number(argv[++i]);
    else if (k === "--timeout") o.timeoutS = Number(argv[++i]);
    else if (k === "--json") o.json = argv[++i];
    else if (k === "--vs") o.b = words(argv[++i] ?? "");
    else if (k === "--") {
      o.a = argv.slice(i + 1);
      break;
    } else throw new Error(`unknown argument ${k}\n${USAGE}`);
  }
  if (!o.a?.length || !o.b?.length || !(o.runs >= 1) || !(o.warmup >= 0) || !(o.timeoutS > 0) || o.json === undefined)
    throw new Error(USAGE);
  return o;
}

function time(cmd, deadline) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd.slice(1), {
    stdio: ["ignore", "ignore", "ignore"],
    timeout: Math.max(1, deadline - Date.now()),
  });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  // Stopped at the deadline: the pairs finished before it are the result.
  if (r.error?.code === "ETIMEDOUT" || r.signal) return undefined;
  if (r.error) throw r.error;
  if (r.status !== 0) process.stderr.write(`paired: ${cmd.join(" ")} exited ${r.status}\n`);
  return s;
}

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const figures = (xs) => ({ min: Math.min(...xs), median: median(xs), max: Math.max(...xs), samples: xs });
const row = (name, xs) => {
  const f = figures(xs);
  return `${name} ${[f.min, f.median, f.max].map((x) => x.toFixed(4)).join(" ")}`;
};
const load = () => loadavg()[0].toFixed(2);

let o;
try {
  o = parse(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`paired: ${err.message}\n`);
  process.exit(2);
}
const deadline = Date.now() + o.timeoutS * 1000;
const loadStart = load();
console.log(`paired: ${new Date().toISOString()}, ${cpus().length} cores, load ${loadStart} at the start`);
for (let i = 0; i < o.warmup; i++) {
  time(o.a, deadline);
  time(o.b, deadline);
}
const a = [];
const b = [];
const ratio = [];
while (a.length < o.runs && Date.now() < deadline) {
  const ta = time(o.a, deadline);
  const tb = ta === undefined ? undefined : time(o.b, deadline);
  if (tb === undefined) break;
  a.push(ta);
  b.push(tb);
  ratio.push(ta / tb);
}
if (a.length === 0) {
  process.stderr.write(`paired: no pair finished within --timeout ${o.timeoutS} s\n`);
  process.exit(1);
}
const loadEnd = load();
console.log(`paired: ${a.length} of ${o.runs} pairs, load ${loadEnd} at the end`);
console.log("           min median max");
console.log(row("A wall s  ", a));
console.log(row("B wall s  ", b));
console.log(row("A/B wall  ", ratio));
if (o.json)
  require("node:fs").writeFileSync(
    o.json,
    `${JSON.stringify({
      cores: cpus().length,
      runs: o.runs,
      pairs: a.length,
      load: { start: Number(loadStart), end: Number(loadEnd) },
      a: figures(a),
      b: figures(b),
      ratio: figures(ratio),
    })}\n`,
  );
