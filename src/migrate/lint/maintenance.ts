/**
 * Index and table maintenance that has a CONCURRENTLY form which blocks nobody (DROP INDEX,
 * REINDEX, DETACH PARTITION), maintenance that rewrites a table under ACCESS EXCLUSIVE with no
 * such form (VACUUM FULL, CLUSTER), and renames, which take a short lock but break every running
 * query and every deployed version of the code that uses the old name.
 */
import { alterCmds, existingAltered, isNew, type Rule } from "./context";
import { qualified, tableName } from "./state";
import { hasOption, type Node } from "./walk";

const TXF = "in a transaction:false migration";

const indexNames = (d: Node): string[] =>
  (d.objects ?? []).map((o: Node) => {
    const parts = (o.List?.items ?? []).map((i: Node) => String(i.String?.sval));
    return parts.length === 1 ? `public.${parts[0]}` : parts.join(".");
  });

/** What a rename renames, as messages name it, or undefined for renames nothing outside the database uses. */
function renamed(s: Node): { what: string; table: string; instead: string } | undefined {
  const r = s.RenameStmt;
  if (r) {
    const table = r.relation ? tableName(r.relation) : "";
    switch (r.renameType) {
      case "OBJECT_TABLE":
      case "OBJECT_VIEW":
      case "OBJECT_MATVIEW":
        return {
          what: `renaming ${table} to ${r.newname}`,
          table,
          instead: `create ${r.newname} beside it (or a view of that name over it), move the code to the new name in a release, then drop the old one in a later migration`,
        };
      case "OBJECT_COLUMN":
        return {
          what: `renaming column ${table}.${r.subname} to ${r.newname}`,
          table,
          instead: `add ${r.newname}, write both from the code, backfill it in batches, move the reads, then drop ${r.subname} in a later migration`,
        };
      case "OBJECT_SCHEMA":
        return {
          what: `renaming schema ${r.subname} to ${r.newname}`,
          table: `every table in schema ${r.subname}`,
          instead: `create schema ${r.newname}, move the code to it (search_path or qualified names) and the objects over in steps, then drop ${r.subname}`,
        };
      default:
        return undefined;
    }
  }
  const e = s.AlterEnumStmt;
  if (e?.oldVal !== undefined && e.newVal !== undefined) {
    const type = qualified(e.typeName);
    return {
      what: `renaming value '${e.oldVal}' of enum ${type} to '${e.newVal}'`,
      table: `the tables using type ${type}`,
      instead: `ADD VALUE '${e.newVal}', move the code and the rows (in batches) to it, and stop using '${e.oldVal}'`,
    };
  }
  return undefined;
}

export const MAINTENANCE_RULES: readonly Rule[] = [
  {
    id: "drop-index-not-concurrent",
    summary: "DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the index's table",
    check: (s, ctx) => {
      const d = s.DropStmt;
      if (d?.removeType !== "OBJECT_INDEX" || d.concurrent) return undefined;
      const names = indexNames(d).filter((n) => !ctx.file.newIndexes.has(n));
      return names.length
        ? {
            message: `DROP INDEX ${names.join(", ")} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on its table, blocking reads and writes while it waits and runs: DROP INDEX CONCURRENTLY (one index per statement) ${TXF}`,
            table: `the table of ${names[0]}`,
          }
        : undefined;
    },
  },
  {
    id: "reindex-not-concurrent",
    summary: "REINDEX without CONCURRENTLY blocks writes to the table (and reads through the index) while it rebuilds",
    check: (s, ctx) => {
      const r = s.ReindexStmt;
      if (!r || hasOption(r.params, "concurrently")) return undefined;
      if (r.relation && (isNew(r.relation, ctx) || ctx.file.newIndexes.has(tableName(r.relation)))) return undefined;
      const target = r.relation ? tableName(r.relation) : String(r.name ?? "");
      return {
        message: `REINDEX ${String(r.kind).replace("REINDEX_OBJECT_", "")} ${target} without CONCURRENTLY blocks writes to the table, and reads that use the index, while it rebuilds: REINDEX ... CONCURRENTLY ${TXF}`,
        table: target,
      };
    },
  },
  {
    id: "detach-partition-not-concurrent",
    summary: "DETACH PARTITION without CONCURRENTLY takes ACCESS EXCLUSIVE on the partitioned table",
    check: (s, ctx) => {
      const table = existingAltered(s, ctx);
      const c = alterCmds(s).find((x) => x.subtype === "AT_DetachPartition" && !x.def?.PartitionCmd?.concurrent);
      return table && c
        ? {
            message: `DETACH PARTITION ${tableName(c.def?.PartitionCmd?.name)} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on ${table}, blocking reads and writes of every partition: DETACH PARTITION ... CONCURRENTLY ${TXF}`,
            table,
          }
        : undefined;
    },
  },
  {
    id: "vacuum-full-or-cluster",
    summary: "VACUUM FULL and CLUSTER rewrite the table under ACCESS EXCLUSIVE",
    check: (s, ctx) => {
      const full = s.VacuumStmt && hasOption(s.VacuumStmt.options, "full");
      const rels: Node[] = full
        ? (s.VacuumStmt.rels ?? []).map((r: Node) => r.VacuumRelation?.relation)
        : s.ClusterStmt
          ? [s.ClusterStmt.relation]
          : [];
      if (!full && !s.ClusterStmt) return undefined;
      const existing = rels.filter((r) => !r || !isNew(r, ctx));
      if (rels.length && !existing.length) return undefined;
      const table = existing[0] ? tableName(existing[0]) : "every table in the database";
      return {
        message: `${full ? "VACUUM FULL" : "CLUSTER"} rewrites ${table} under an ACCESS EXCLUSIVE lock, blocking reads and writes until it ends, and needs room for a second copy: reclaim space with plain VACUUM, or rebuild online with a tool such as pg_repack outside migrations`,
        table,
      };
    },
  },
  {
    id: "rename",
    summary: "renaming a table, view, column, schema or enum value breaks the running code that uses the old name",
    check: (s, ctx) => {
      const r = renamed(s);
      if (!r || (s.RenameStmt?.relation && isNew(s.RenameStmt.relation, ctx))) return undefined;
      return {
        message: `${r.what} breaks every running query and deployed version of the code that uses the old name: ${r.instead}`,
        table: r.table,
      };
    },
  },
];
