/**
 * The Python service's users, written by its own libraries (tooling/python-fixture: MongoEngine
 * and Werkzeug, into the test FerretDB), moved by migrate:from-python: dry run, two runs,
 * then found through REST under their old ids.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createKeyring } from "@usersvc/core";
import { Types } from "mongoose";
import { describe, expect, inject, it } from "vitest";
import { migrateFromPython } from "../scripts/migrate-from-python";
import {
  codeAt,
  json,
  post,
  startTestServer,
  storedCollection,
  type TestServer,
  withinOneThrottleWindow,
} from "./harness";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const python = `${root}.tools/pyfixture-venv/bin/python`;

type FixtureUser = {
  id: string;
  username: string;
  email: string;
  password: string;
  scheme: string;
  role: string;
  gender: string;
  is_active: boolean;
  mfa_secret: string | null;
};
type Fixture = { collection: string; indexes: string[]; users: FixtureUser[]; invalid: { id: string }[] };

/** Runs the Python fixture against the test FerretDB, into `db`. */
async function writeLegacyUsers(db: string): Promise<Fixture> {
  if (!existsSync(python)) {
    throw new Error(
      `${python} is missing: run bash scripts/check.sh (or source scripts/lib.sh) to install it`,
    );
  }
  const { stdout } = await promisify(execFile)(python, [
    `${root}tooling/python-fixture/make_users.py`,
    "--uri",
    inject("stack").mongoUri,
    "--db",
    db,
  ]);
  return JSON.parse(stdout) as Fixture;
}

const byName = (fixture: Fixture, username: string) => {
  const user = fixture.users.find((u) => u.username === username);
  if (!user) throw new Error(`no ${username} in the fixture`);
  return user;
};

const quiet = { print: () => {} };

async function dropDatabase(server: TestServer, db: string) {
  await server.app.connection.useDb(db).dropDatabase();
}

describe("migrate:from-python", () => {
  // Up to 10 s may go to waiting for a throttle window with room left.
  it("reports, then moves the Python service's users keeping ids, hashes and MFA; a second run changes nothing", {
    timeout: 60_000,
  }, async () => {
    await using server = await startTestServer({}, { worker: false });
    const legacyDb = `legacy_${randomBytes(6).toString("hex")}`;
    try {
      const fixture = await writeLegacyUsers(legacyDb);
      expect(fixture.collection).toBe("user");
      expect(fixture.indexes).toEqual(["_id_", "email_1", "username_1"]);
      expect(new Set(fixture.users.map((u) => u.scheme.split(":").slice(0, 2).join(":")))).toEqual(
        new Set(["scrypt:32768", "pbkdf2:sha256", "pbkdf2:sha1"]),
      );
      const options = {
        settings: server.settings,
        sourceUri: inject("stack").mongoUri,
        sourceDb: legacyDb,
        batchSize: 4,
      };
      const users = storedCollection(server, "users");

      const lines: string[] = [];
      const dry = await migrateFromPython({ ...options, dryRun: true, print: (line) => lines.push(line) });
      const [upper, lower] = [byName(fixture, "John"), byName(fixture, "john")];
      expect(dry).toMatchObject({
        dryRun: true,
        read: 10,
        inserted: 8,
        alreadyMigrated: 0,
        takenInTarget: [],
      });
      expect(dry.invalid).toEqual([
        {
          id: fixture.invalid[0]?.id,
          username: "oddone",
          reasons: [expect.stringMatching(/^email: /), expect.stringMatching(/^gender: /)],
        },
      ]);
      expect(dry.conflicts).toEqual([
        {
          field: "username",
          value: "john",
          kept: { id: lower.id, username: "john", email: lower.email, is_active: true },
          skipped: [{ id: upper.id, username: "John", email: upper.email, is_active: false }],
        },
      ]);
      expect(lines.join("\n")).toMatch(
        /conflict on username "john": would be kept .*john\.lower@example\.com/,
      );
      expect(await users.countDocuments()).toBe(0);

      const first = await migrateFromPython({ ...options, ...quiet });
      expect(first).toMatchObject({ dryRun: false, read: 10, inserted: 8, alreadyMigrated: 0 });
      const migrated = fixture.users.filter((u) => u.id !== upper.id);
      const source = server.app.connection.useDb(legacyDb).collection("user");
      const keys = createKeyring({ current: server.settings.secretKey });
      for (const user of migrated) {
        const stored = await users.findOne({ _id: new Types.ObjectId(user.id) });
        const legacy = await source.findOne({ _id: new Types.ObjectId(user.id) });
        expect(stored, user.username).toMatchObject({
          username: user.username,
          username_key: user.username.toLowerCase(),
          email: user.email,
          email_key: user.email.toLowerCase(),
          first_name_key: legacy?.first_name.toLowerCase(),
          last_name_key: "legacy",
          password_hash: legacy?.password,
          role: user.role,
          gender: user.gender,
          is_active: user.is_active,
          mfa_enabled: user.mfa_secret !== null,
          activation: null,
        });
        expect(stored?.created_at).toEqual(legacy?.created_at);
        if (user.mfa_secret) {
          expect(JSON.stringify(stored)).not.toContain(user.mfa_secret);
          expect(keys.open(stored?.mfa.secret_enc).plaintext).toBe(user.mfa_secret);
          expect(stored?.mfa).toMatchObject({ recovery_hashes: [], pending_secret_enc: null });
        }
      }
      expect(migrated.filter((u) => u.mfa_secret)).toHaveLength(1);
      expect(await users.countDocuments()).toBe(8);

      const before = await users.find().sort({ _id: 1 }).toArray();
      const second = await migrateFromPython({ ...options, ...quiet });
      expect(second).toMatchObject({ read: 10, inserted: 0, alreadyMigrated: 8 });
      expect(await users.find().sort({ _id: 1 }).toArray()).toEqual(before);

      // Callers keep their ids: REST finds each migrated user under the old one.
      for (const user of migrated) {
        const response = await server.api(`/api/users/id?id=${user.id}`);
        expect(response.status, user.username).toBe(200);
        const body = await json(response);
        expect(body).toMatchObject({
          id: user.id,
          username: user.username,
          email: user.email,
          gender: user.gender,
          role: user.role,
          is_active: user.is_active,
          mfa_enabled: user.mfa_secret !== null,
        });
        expect(body).not.toHaveProperty("mfa_secret");
      }
      for (const left of [upper.id, fixture.invalid[0]?.id]) {
        expect((await server.api(`/api/users/id?id=${left}`)).status).toBe(404);
      }

      // Every migrated active user logs in with the password the Python service hashed (the
      // MFA user with a TOTP code of the original secret), and the hash is argon2id afterwards.
      const login = (identifier: string, password: string, totp_code?: string) =>
        post(server, "/api/users/auth/check", { identifier, password, ...(totp_code ? { totp_code } : {}) });
      for (const user of migrated.filter((u) => u.is_active)) {
        const code = user.mfa_secret ? await codeAt(user.mfa_secret, 0) : undefined;
        const response = await login(user.username, user.password, code);
        expect(response.status, `${user.username} (${user.scheme})`).toBe(200);
        const stored = await users.findOne({ _id: new Types.ObjectId(user.id) });
        expect(stored?.password_hash, user.username).toMatch(/^\$argon2id\$/);
      }
      // A wrong password: the same answer as an unknown user, and the same lock after 5.
      const target = migrated.find((u) => u.is_active && !u.mfa_secret);
      if (!target) throw new Error("no active user without MFA in the fixture");
      await withinOneThrottleWindow(server);
      const unknown = await login("nobody-at-all", "Wrong-password-1");
      const wrong = await login(target.username, "Wrong-password-1");
      expect(wrong.status).toBe(401);
      const answer = async (r: Response) => {
        const { code, message } = await json<{ code: string; message: string }>(r);
        return { status: r.status, code, message };
      };
      expect(await answer(wrong)).toEqual(await answer(unknown));
      for (let n = 0; n < 4; n++) await login(target.username, "Wrong-password-1");
      expect((await login(target.username, target.password)).status).toBe(429);
    } finally {
      await dropDatabase(server, legacyDb);
    }
  });

  it("reads the source beside the target in the same database (collection user next to users)", async () => {
    await using server = await startTestServer({}, { worker: false });
    await writeLegacyUsers(server.settings.mongodb.dbName);
    const report = await migrateFromPython({
      settings: server.settings,
      sourceUri: inject("stack").mongoUri,
      ...quiet,
    });
    expect(report).toMatchObject({ read: 10, inserted: 8 });
    expect(await storedCollection(server, "users").countDocuments()).toBe(8);
  });
});
