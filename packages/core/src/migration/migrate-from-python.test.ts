/**
 * Migration from the Python service on in-memory ports: field mapping, invalid rows, case
 * conflicts (the most recently active kept), batches in `_id` order, resuming and rerunning.
 */
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createFakes, type FakeUsers } from "../../test/fakes";
import { DomainError } from "../errors";
import { mapLegacyUser, objectIdTime } from "./legacy-user";
import { createPythonMigration } from "./migrate-from-python";
import { planMigration } from "./plan";
import type { LegacyRow, LegacyUserSource, MigrationTarget } from "./ports";

/** A Werkzeug `pbkdf2:sha256` hash made as Werkzeug makes it (few iterations: a unit test). */
const werkzeugHash = (password: string) => {
  const salt = randomBytes(8).toString("hex");
  return `pbkdf2:sha256:1000$${salt}$${pbkdf2Sync(password, salt, 1000, 32, "sha256").toString("hex")}`;
};

let seconds = 1_700_000_000;
/** Ids in creation order, as MongoDB makes them (time first). */
const nextId = () => `${(seconds++).toString(16)}${randomBytes(8).toString("hex")}`;

const legacyRow = (fields: Record<string, unknown> = {}, id = nextId()): LegacyRow => {
  const username = typeof fields.username === "string" ? fields.username : `user${id.slice(-6)}`;
  return {
    id,
    fields: {
      username,
      first_name: "Ada",
      last_name: "Legacy",
      email: `${username.toLowerCase()}.${id.slice(-6)}@example.com`,
      password: werkzeugHash("Password1!"),
      gender: "Female",
      role: "user",
      is_active: true,
      mfa_secret: null,
      activation_code: null,
      ...fields,
    },
  };
};

function memorySource(rows: LegacyRow[]): LegacyUserSource & { reads: number } {
  const sorted = [...rows].sort((a, b) => (a.id < b.id ? -1 : 1));
  const source = {
    reads: 0,
    async readBatch(afterId: string | null, limit: number) {
      source.reads += 1;
      return sorted.filter((row) => afterId === null || row.id > afterId).slice(0, limit);
    },
  };
  return source;
}

/** The target over the fake user repository; `failAfter` inserts, it throws (a crash). */
function memoryTarget(users: FakeUsers, failAfter = Number.POSITIVE_INFINITY): MigrationTarget {
  let inserts = 0;
  return {
    async existingIds(ids) {
      const found = await Promise.all(ids.map((id) => users.findById(id)));
      return new Set(found.flatMap((user) => (user ? [user.id] : [])));
    },
    async insert({ created_at, ...user }) {
      if (inserts++ >= failAfter) throw new Error("connection lost");
      if (await users.findById(user.id)) return "exists";
      try {
        await users.insert(user);
        users.set(user.id, { created_at });
        return "inserted";
      } catch (error) {
        if (
          error instanceof DomainError &&
          (error.code === "USERNAME_TAKEN" || error.code === "EMAIL_TAKEN")
        ) {
          return error.code;
        }
        throw error;
      }
    },
  };
}

function setup(rows: LegacyRow[], failAfter?: number) {
  const fakes = createFakes();
  const source = memorySource(rows);
  const migration = (target = memoryTarget(fakes.users, failAfter)) =>
    createPythonMigration({ source, target, keys: fakes.keys });
  return { fakes, source, migration };
}

describe("mapping a Python-service user", () => {
  it("keeps the id, profile, role, activity and the Werkzeug hash as it is", () => {
    const row = legacyRow({ username: "John.Doe", role: "admin", is_active: false });
    const mapped = mapLegacyUser(row, createFakes().keys);
    if (!("user" in mapped)) throw new Error("expected a user");
    expect(mapped.user).toMatchObject({
      id: row.id,
      username: "John.Doe",
      first_name: "Ada",
      last_name: "Legacy",
      email: row.fields.email,
      password_hash: row.fields.password,
      gender: "Female",
      role: "admin",
      is_active: false,
      mfa_enabled: false,
      mfa: null,
      activation: null,
      created_at: objectIdTime(row.id),
    });
  });

  it("seals the TOTP secret with the current key and turns MFA on, without recovery codes", () => {
    const { keys } = createFakes();
    const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    const mapped = mapLegacyUser(legacyRow({ mfa_secret: secret.toLowerCase() }), keys);
    if (!("user" in mapped)) throw new Error("expected a user");
    expect(mapped.user.mfa_enabled).toBe(true);
    const sealed = mapped.user.mfa?.secret_enc ?? "";
    expect(sealed).not.toContain(secret);
    expect(keys.open(sealed).plaintext).toBe(secret);
    expect(mapped.user.mfa).toMatchObject({
      recovery_hashes: [],
      recovery_pepper_enc: null,
      last_step: null,
    });
  });

  it("takes a missing role as user, a missing is_active as pending, an empty secret as no MFA, created_at when present", () => {
    const created = new Date("2021-03-04T05:06:07Z");
    const row = legacyRow({ role: undefined, is_active: undefined, mfa_secret: "", created_at: created });
    const mapped = mapLegacyUser(row, createFakes().keys);
    if (!("user" in mapped)) throw new Error("expected a user");
    expect(mapped.user).toMatchObject({
      role: "user",
      is_active: false,
      mfa_enabled: false,
      created_at: created,
    });
  });

  it.each([
    [{ email: "not-an-email" }, "email"],
    [{ gender: "Robot" }, "gender"],
    [{ role: "superuser" }, "role"],
    [{ first_name: undefined }, "first_name"],
    [{ username: "x" }, "username"],
    [{ password: "plaintext" }, "password"],
    [{ password: "sha1$abc$def" }, "password"],
    [{ mfa_secret: "not base32!" }, "mfa_secret"],
    [{ is_active: "yes" }, "is_active"],
  ])("refuses %o, naming %s", (fields, field) => {
    const row = legacyRow(fields);
    const mapped = mapLegacyUser(row, createFakes().keys);
    if (!("invalid" in mapped)) throw new Error("expected an invalid row");
    expect(mapped.invalid.id).toBe(row.id);
    expect(mapped.invalid.reasons.join("; ")).toMatch(new RegExp(`^${field}: |; ${field}: `));
  });

  it("refuses a row whose _id is not an ObjectId (ids are kept), instead of failing the run", () => {
    const row = { ...legacyRow(), id: "legacy-42", idIsObjectId: false };
    const mapped = mapLegacyUser(row, createFakes().keys);
    if (!("invalid" in mapped)) throw new Error("expected an invalid row");
    expect(mapped.invalid.reasons.join("; ")).toMatch(/^_id: /);
  });
});

describe("case conflicts", () => {
  const candidate = (username: string, email: string, is_active: boolean) => ({
    id: nextId(),
    username,
    email,
    is_active,
  });

  it("keeps the active user over an inactive one, then the newest, and lists the rest", () => {
    const older = candidate("John", "a@example.com", true);
    const pending = candidate("JOHN", "b@example.com", false);
    const newer = candidate("john", "c@example.com", true);
    const plan = planMigration([older, pending, newer]);
    expect([...plan.skipped].sort()).toEqual([older.id, pending.id].sort());
    expect(plan.conflicts).toEqual([
      { field: "username", value: "john", kept: newer, skipped: [older, pending] },
    ]);
  });

  it("finds emails equal ignoring case", () => {
    const first = candidate("one", "Same@Example.com", true);
    const second = candidate("two", "same@example.com", true);
    const plan = planMigration([first, second]);
    expect(plan.conflicts).toEqual([
      { field: "email", value: "same@example.com", kept: second, skipped: [first] },
    ]);
  });

  it("leaves users without a conflict alone", () => {
    expect(
      planMigration([candidate("a1a", "a@x.io", true), candidate("b1b", "b@x.io", false)]).skipped.size,
    ).toBe(0);
  });
});

describe("running the migration", () => {
  const rowsOf = () => [
    legacyRow({ username: "John", is_active: false }),
    legacyRow({ username: "john" }),
    legacyRow({ email: "bad" }),
    ...Array.from({ length: 5 }, () => legacyRow()),
  ];

  it("a dry run reports counts, conflicts and invalid rows without writing", async () => {
    const rows = rowsOf();
    const { fakes, migration } = setup(rows);
    const report = await migration().run({ dryRun: true, batchSize: 3 });
    expect(report).toMatchObject({
      dryRun: true,
      read: 8,
      inserted: 6,
      alreadyMigrated: 0,
      takenInTarget: [],
    });
    expect(report.invalid.map((row) => row.id)).toEqual([rows[2]?.id]);
    expect(report.conflicts).toHaveLength(1);
    expect(report.conflicts[0]?.kept.id).toBe(rows[1]?.id);
    expect(report.conflicts[0]?.skipped.map((c) => c.id)).toEqual([rows[0]?.id]);
    expect(fakes.users.all()).toEqual([]);
    expect(JSON.stringify(report)).not.toContain("pbkdf2");
  });

  it("writes each kept user in batches with progress; a second run changes nothing", async () => {
    const rows = rowsOf();
    const { fakes, migration } = setup(rows);
    const progress: number[] = [];
    const first = await migration().run({
      dryRun: false,
      batchSize: 3,
      onProgress: (p) => progress.push(p.read),
    });
    expect(first).toMatchObject({ read: 8, inserted: 6, alreadyMigrated: 0 });
    expect(progress).toEqual([3, 6, 8]);
    const stored = fakes.users.all();
    expect(stored.map((u) => u.id).sort()).toEqual(
      rows
        .filter((_, i) => i !== 0 && i !== 2)
        .map((r) => r.id)
        .sort(),
    );
    const before = structuredClone(stored);
    const second = await migration().run({ dryRun: false, batchSize: 3 });
    expect(second).toMatchObject({ read: 8, inserted: 0, alreadyMigrated: 6 });
    expect(fakes.users.all()).toEqual(before);
  });

  it("resumes after a crash: the rerun writes only what the first run did not", async () => {
    const rows = rowsOf();
    const { fakes, migration } = setup(rows);
    await expect(
      migration(memoryTarget(fakes.users, 4)).run({ dryRun: false, batchSize: 2 }),
    ).rejects.toThrow("connection lost");
    expect(fakes.users.all()).toHaveLength(4);
    const rerun = await migration().run({ dryRun: false, batchSize: 2 });
    expect(rerun).toMatchObject({ inserted: 2, alreadyMigrated: 4 });
    expect(fakes.users.all()).toHaveLength(6);
  });

  it("reports a source user whose name another user of ours already holds, and goes on", async () => {
    const rows = [legacyRow({ username: "taken" }), legacyRow()];
    const { fakes, migration } = setup(rows);
    const mapped = mapLegacyUser(legacyRow({ username: "TAKEN" }), fakes.keys);
    if (!("user" in mapped)) throw new Error("expected a user");
    const { created_at: _, ...registered } = mapped.user;
    await fakes.users.insert(registered);
    const report = await migration().run({ dryRun: false, batchSize: 10 });
    expect(report.inserted).toBe(1);
    expect(report.takenInTarget).toEqual([
      { id: rows[0]?.id, username: "taken", email: rows[0]?.fields.email, code: "USERNAME_TAKEN" },
    ]);
  });
});
