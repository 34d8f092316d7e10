/**
 * Constraint rules, from ALTER TABLE's and ALTER DOMAIN's documentation: adding a foreign key or a
 * CHECK validates every existing row while holding the lock it took (SHARE ROW EXCLUSIVE on both
 * tables for a foreign key, ACCESS EXCLUSIVE for a CHECK), unless it is added NOT VALID and
 * validated later under SHARE UPDATE EXCLUSIVE, which blocks nobody. That only helps in another
 * transaction: VALIDATE in the transaction that took the write-blocking lock scans under it. A
 * UNIQUE or PRIMARY KEY constraint builds its index under ACCESS EXCLUSIVE unless it adopts one
 * built CONCURRENTLY (USING INDEX); an EXCLUDE constraint has no such form.
 */
import { alterCmds, existingAltered, type Hit, type Rule, type RuleContext } from "./context";
import { qualified, tableName } from "./state";
import type { Node } from "./walk";

/** Each constraint an ALTER TABLE adds: by ADD CONSTRAINT, or inline on an added column. */
function added(s: Node): { con: Node; column?: string }[] {
  const out: { con: Node; column?: string }[] = [];
  for (const c of alterCmds(s)) {
    if (c.subtype === "AT_AddConstraint" && c.def?.Constraint) out.push({ con: c.def.Constraint });
    if (c.subtype === "AT_AddColumn")
      for (const k of c.def?.ColumnDef?.constraints ?? [])
        if (k.Constraint) out.push({ con: k.Constraint, column: c.def.ColumnDef.colname });
  }
  return out;
}

const named = (con: Node) => (con.conname ? ` ${con.conname}` : "");

function foreignKey(s: Node, ctx: RuleContext): Hit | undefined {
  const table = existingAltered(s, ctx);
  if (!table) return undefined;
  const fk = added(s).find(({ con }) => con.contype === "CONSTR_FOREIGN" && !con.skip_validation);
  if (!fk) return undefined;
  const ref = tableName(fk.con.pktable);
  const how = fk.column
    ? `add the column without REFERENCES, then ALTER TABLE ${table} ADD CONSTRAINT ... FOREIGN KEY (${fk.column}) REFERENCES ${ref} NOT VALID`
    : `add it with NOT VALID`;
  return {
    message: `foreign key${named(fk.con)} on ${table} references ${ref} and checks every existing row while both tables are locked against writes (SHARE ROW EXCLUSIVE): ${how}, then VALIDATE CONSTRAINT in a later migration`,
    table,
  };
}

function check(s: Node, ctx: RuleContext): Hit | undefined {
  const d = s.AlterDomainStmt;
  if (d && (d.subtype === "C" || d.subtype === "N")) {
    const domain = qualified(d.typeName);
    if (ctx.file.newDomains.has(domain)) return undefined;
    const con = d.def?.Constraint;
    if (d.subtype === "C" && con?.skip_validation) return undefined;
    return {
      message: `ALTER DOMAIN ${domain} ${d.subtype === "N" ? "SET NOT NULL" : "ADD CONSTRAINT"} checks every column of the domain in every table, holding a SHARE lock on each (writes blocked): ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later migration`,
      table: `the tables using domain ${domain}`,
    };
  }
  const table = existingAltered(s, ctx);
  if (!table || d) return undefined;
  const k = added(s).find(({ con }) => con.contype === "CONSTR_CHECK" && !con.skip_validation);
  if (!k) return undefined;
  return {
    message: k.column
      ? `CHECK${named(k.con)} on the new column ${k.column} of ${table} is checked against every existing row under an ACCESS EXCLUSIVE lock: add the column first, then ADD CONSTRAINT ... CHECK (...) NOT VALID, and VALIDATE CONSTRAINT in a later migration`
      : `CHECK${named(k.con)} on ${table} is checked against every existing row under an ACCESS EXCLUSIVE lock, blocking reads and writes: add it with NOT VALID, then VALIDATE CONSTRAINT in a later migration`,
    table,
  };
}

function validateInTransaction(s: Node, ctx: RuleContext): Hit | undefined {
  const table = existingAltered(s, ctx);
  if (!table || !ctx.file.transactional) return undefined;
  const v = alterCmds(s).find((c) => c.subtype === "AT_ValidateConstraint");
  const held = ctx.file.writeLocked.get(table);
  if (!v || !held) return undefined;
  const same = ctx.file.addedNotValid.has(`${table} ${v.name}`);
  return {
    message: `VALIDATE CONSTRAINT ${v.name} on ${table} runs in the transaction that ${same ? "added it NOT VALID" : `already locked ${table}`} (${held}), so its scan of every row holds that lock and blocks writes throughout: VALIDATE in a later migration, where it takes only SHARE UPDATE EXCLUSIVE`,
    table,
  };
}

function uniqueOrPrimary(s: Node, ctx: RuleContext): Hit | undefined {
  const table = existingAltered(s, ctx);
  if (!table) return undefined;
  const u = added(s).find(
    ({ con }) => (con.contype === "CONSTR_UNIQUE" || con.contype === "CONSTR_PRIMARY") && !con.indexname,
  );
  if (!u) return undefined;
  const kind = u.con.contype === "CONSTR_PRIMARY" ? "PRIMARY KEY" : "UNIQUE";
  const cols = u.column ?? (u.con.keys ?? []).map((k: Node) => k.String?.sval).join(", ");
  return {
    message: `${kind}${named(u.con)} on ${table} builds its index under an ACCESS EXCLUSIVE lock, blocking reads and writes while it builds: CREATE UNIQUE INDEX CONCURRENTLY on (${cols}) in a transaction:false migration, then ADD CONSTRAINT ... ${kind} USING INDEX${kind === "PRIMARY KEY" ? " (with the columns already NOT NULL)" : ""}`,
    table,
  };
}

export const CONSTRAINT_RULES: readonly Rule[] = [
  {
    id: "foreign-key-not-valid",
    summary: "a foreign key added to an existing table without NOT VALID checks every row while writes are blocked",
    check: foreignKey,
  },
  {
    id: "check-not-valid",
    summary:
      "a CHECK (or ALTER DOMAIN ... ADD CONSTRAINT) without NOT VALID checks every row under a lock that blocks writes",
    check,
  },
  {
    id: "validate-in-same-transaction",
    summary: "VALIDATE CONSTRAINT in the transaction that locked the table scans while holding that lock",
    check: validateInTransaction,
  },
  {
    id: "unique-without-index",
    summary: "ADD UNIQUE / PRIMARY KEY without USING INDEX builds the index under an ACCESS EXCLUSIVE lock",
    check: uniqueOrPrimary,
  },
  {
    id: "exclusion-constraint",
    summary:
      "an EXCLUDE constraint added to an existing table builds its index and checks every row under ACCESS EXCLUSIVE",
    check: (s, ctx) => {
      const table = existingAltered(s, ctx);
      const x = table && added(s).find(({ con }) => con.contype === "CONSTR_EXCLUSION");
      return table && x
        ? {
            message: `EXCLUDE constraint${named(x.con)} on ${table} builds its index and checks every row under an ACCESS EXCLUSIVE lock, and has no CONCURRENTLY or USING INDEX form: create it on a new table (copy the rows in batches, then swap), or approve it with the reason the table is small enough`,
            table,
          }
        : undefined;
    },
  },
];
