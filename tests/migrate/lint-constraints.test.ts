/**
 * The constraint rules, one case per statement form: foreign keys and CHECKs without NOT VALID
 * (ADD CONSTRAINT and inline on an added column), ALTER DOMAIN, VALIDATE in the transaction that
 * locked the table, UNIQUE and PRIMARY KEY with and without USING INDEX, EXCLUDE; each passing on
 * a table created in the same file and in its safe form.
 */
import { describe, expect, it } from "vitest";
import { lintHistory, lintUp, rulesFor } from "./lint-helpers";

describe("foreign-key-not-valid", () => {
  it.each([
    [
      "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);",
      "2:1 error [foreign-key-not-valid] public.orders: foreign key orders_user_fk on public.orders references public.users and checks every existing row while both tables are locked against writes (SHARE ROW EXCLUSIVE): add it with NOT VALID, then VALIDATE CONSTRAINT in a later migration",
    ],
    [
      "ALTER TABLE orders ADD COLUMN user_id bigint REFERENCES app.users (id);",
      "2:1 error [foreign-key-not-valid] public.orders: foreign key on public.orders references app.users and checks every existing row while both tables are locked against writes (SHARE ROW EXCLUSIVE): add the column without REFERENCES, then ALTER TABLE public.orders ADD CONSTRAINT ... FOREIGN KEY (user_id) REFERENCES app.users NOT VALID, then VALIDATE CONSTRAINT in a later migration",
    ],
  ])("%s", async (up, expected) => {
    expect(await lintUp(up)).toEqual([expected]);
  });

  it.each([
    "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
    "ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;",
    "CREATE TABLE orders (id int, user_id int REFERENCES users (id), CONSTRAINT o_fk FOREIGN KEY (id) REFERENCES x (id));",
    "CREATE TABLE orders (id int);\nALTER TABLE orders ADD CONSTRAINT o_fk FOREIGN KEY (id) REFERENCES users (id);",
  ])("%s passes", async (up) => {
    expect(await rulesFor(up)).toEqual([]);
  });
});

describe("check-not-valid", () => {
  it.each([
    [
      "ALTER TABLE accounts ADD CONSTRAINT positive_balance CHECK (balance >= 0);",
      "2:1 error [check-not-valid] public.accounts: CHECK positive_balance on public.accounts is checked against every existing row under an ACCESS EXCLUSIVE lock, blocking reads and writes: add it with NOT VALID, then VALIDATE CONSTRAINT in a later migration",
    ],
    [
      "ALTER TABLE accounts ADD COLUMN limit_cents int CHECK (limit_cents > 0);",
      "2:1 error [check-not-valid] public.accounts: CHECK on the new column limit_cents of public.accounts is checked against every existing row under an ACCESS EXCLUSIVE lock: add the column first, then ADD CONSTRAINT ... CHECK (...) NOT VALID, and VALIDATE CONSTRAINT in a later migration",
    ],
    [
      "ALTER DOMAIN app.positive ADD CONSTRAINT positive_check CHECK (VALUE > 0);",
      "2:1 error [check-not-valid] the tables using domain app.positive: ALTER DOMAIN app.positive ADD CONSTRAINT checks every column of the domain in every table, holding a SHARE lock on each (writes blocked): ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later migration",
    ],
    [
      "ALTER DOMAIN positive ADD CONSTRAINT positive_nn NOT NULL;",
      "2:1 error [check-not-valid] the tables using domain public.positive: ALTER DOMAIN public.positive ADD CONSTRAINT checks every column of the domain in every table, holding a SHARE lock on each (writes blocked): ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later migration",
    ],
  ])("%s", async (up, expected) => {
    expect(await lintUp(up)).toEqual([expected]);
  });

  it.each([
    "ALTER TABLE accounts ADD CONSTRAINT positive_balance CHECK (balance >= 0) NOT VALID;",
    "ALTER DOMAIN positive ADD CONSTRAINT positive_check CHECK (VALUE > 0) NOT VALID;",
    "ALTER DOMAIN positive VALIDATE CONSTRAINT positive_check;",
    "ALTER DOMAIN positive DROP CONSTRAINT positive_check;",
    "CREATE DOMAIN positive AS int;\nALTER DOMAIN positive ADD CONSTRAINT positive_check CHECK (VALUE > 0);",
    "CREATE TABLE accounts (balance int);\nALTER TABLE accounts ADD CONSTRAINT positive_balance CHECK (balance >= 0);",
  ])("%s passes", async (up) => {
    expect(await rulesFor(up)).toEqual([]);
  });
});

describe("validate-in-same-transaction", () => {
  const addFk = "ALTER TABLE email ADD CONSTRAINT email_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;";
  const validate = "ALTER TABLE email VALIDATE CONSTRAINT email_user_fk;";

  it("VALIDATE after the NOT VALID add, or after another write-blocking lock, in one transaction", async () => {
    expect(await lintUp(`${addFk}\n${validate}`)).toEqual([
      "3:1 error [validate-in-same-transaction] public.email: VALIDATE CONSTRAINT email_user_fk on public.email runs in the transaction that added it NOT VALID (SHARE ROW EXCLUSIVE), so its scan of every row holds that lock and blocks writes throughout: VALIDATE in a later migration, where it takes only SHARE UPDATE EXCLUSIVE",
    ]);
    expect(await lintUp(`ALTER TABLE email ADD COLUMN note text;\n${validate}`)).toEqual([
      "3:1 error [validate-in-same-transaction] public.email: VALIDATE CONSTRAINT email_user_fk on public.email runs in the transaction that already locked public.email (ACCESS EXCLUSIVE), so its scan of every row holds that lock and blocks writes throughout: VALIDATE in a later migration, where it takes only SHARE UPDATE EXCLUSIVE",
    ]);
  });

  it("passes in a later migration, first in its file, or in a transaction:false file (each statement commits)", async () => {
    expect(await lintHistory([addFk, validate])).toEqual([]);
    expect(await lintUp(`${validate}\nALTER TABLE email ADD COLUMN note text;`)).toEqual([]);
    expect(await lintUp(`${addFk}\n${validate}`, "transaction:false")).toEqual([]);
  });
});

describe("unique-without-index", () => {
  const unique = (table: string, cols: string, name = "") =>
    `2:1 error [unique-without-index] ${table}: UNIQUE${name} on ${table} builds its index under an ACCESS EXCLUSIVE lock, blocking reads and writes while it builds: CREATE UNIQUE INDEX CONCURRENTLY on (${cols}) in a transaction:false migration, then ADD CONSTRAINT ... UNIQUE USING INDEX`;

  it.each([
    [
      "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email, tenant);",
      unique("public.users", "email, tenant", " users_email_key"),
    ],
    ["ALTER TABLE users ADD COLUMN handle text UNIQUE;", unique("public.users", "handle")],
    [
      "ALTER TABLE users ADD COLUMN handle text CONSTRAINT users_handle_key UNIQUE;",
      unique("public.users", "handle", " users_handle_key"),
    ],
    [
      "ALTER TABLE items ADD PRIMARY KEY (id);",
      "2:1 error [unique-without-index] public.items: PRIMARY KEY on public.items builds its index under an ACCESS EXCLUSIVE lock, blocking reads and writes while it builds: CREATE UNIQUE INDEX CONCURRENTLY on (id) in a transaction:false migration, then ADD CONSTRAINT ... PRIMARY KEY USING INDEX (with the columns already NOT NULL)",
    ],
  ])("%s", async (up, expected) => {
    expect(await lintUp(up)).toEqual([expected]);
  });

  it.each([
    "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;",
    "ALTER TABLE items ADD CONSTRAINT items_pkey PRIMARY KEY USING INDEX items_id_idx;",
    "CREATE TABLE items (id int);\nALTER TABLE items ADD PRIMARY KEY (id), ADD UNIQUE (id);",
  ])("%s passes", async (up) => {
    expect(await rulesFor(up)).toEqual([]);
  });
});

describe("exclusion-constraint", () => {
  it("on an existing table; not on a new one", async () => {
    const add = "ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);";
    expect(await lintUp(add)).toEqual([
      "2:1 error [exclusion-constraint] public.bookings: EXCLUDE constraint no_overlap on public.bookings builds its index and checks every row under an ACCESS EXCLUSIVE lock, and has no CONCURRENTLY or USING INDEX form: create it on a new table (copy the rows in batches, then swap), or approve it with the reason the table is small enough",
    ]);
    expect(await rulesFor(`CREATE TABLE bookings (room int, during tstzrange);\n${add}`)).toEqual([]);
  });
});
