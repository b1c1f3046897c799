/**
 * In-memory fakes of every port, with the contracts of the MongoDB adapters (first claim of
 * a key wins, unique usernames and emails ignoring case, public reads without secrets), so
 * use cases can be tested without a database. `createFakes()` wires them like the server's
 * composition root does; `failNext` makes the next call of a method throw, for fault tests.
 */
import { randomBytes } from "node:crypto";
import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import * as zxcvbnCommon from "@zxcvbn-ts/language-common";
import * as zxcvbnEn from "@zxcvbn-ts/language-en";
import { claimKeys } from "../src/claim-keys";
import type { EmailMessage, Mailer } from "../src/email/mailer";
import { createEmailOutbox } from "../src/email/outbox";
import type { ClaimedMessage, OutboxStore } from "../src/email/outbox-store";
import { createConfirmEmailChange } from "../src/email-change/confirm-email-change";
import { createRequestEmailChange } from "../src/email-change/request-email-change";
import { createRevertEmailChange } from "../src/email-change/revert-email-change";
import { DomainError, takenError } from "../src/errors";
import type { AuditEvent, AuditQuery, AuditStore } from "../src/events/audit-store";
import type { SecurityEventInput } from "../src/events/catalogue";
import type { SecurityEvents } from "../src/events/recorder";
import { createKeyring, type Keyring } from "../src/keyring";
import { createLoginAttempts } from "../src/login/login-attempts";
import { createStepUp } from "../src/login/step-up";
import { newRecoverySet } from "../src/mfa/recovery-codes";
import { createSecondFactor } from "../src/mfa/second-factor";
import { currentTotp, newTotpSecret } from "../src/mfa/totp";
import { createCodeChecker, maxCodeTriesPerDay } from "../src/one-time-codes";
import { createHashSuccession } from "../src/password/hash-succession";
import { hasherBusyError, type PasswordHasher } from "../src/password/password-hasher";
import { createPasswordPolicy } from "../src/password/password-policy";
import { type StrengthEstimator, strengthOptions } from "../src/password/strength-estimator";
import type {
  ClaimStore,
  PasskeyRecord,
  PasskeyStore,
  ResetTokenRecord,
  ResetTokenStore,
  RunInBackground,
  ThrottleLock,
  ThrottleLockStore,
  UserRepository,
} from "../src/ports";
import { createThrottle } from "../src/throttle";
import { normalizeKey } from "../src/users/schemas";
import { type NewUser, type PublicUserRecord, publicUserFields, type UserRecord } from "../src/users/user";
import type {
  WebhookDelivery,
  WebhookDeliveryStore,
  WebhookSubscription,
  WebhookSubscriptionStore,
} from "../src/webhooks/store";

const newId = () => randomBytes(12).toString("hex");

/** Makes the next call of `object[method]` reject with `error` (once). */
export function failNext<T extends object>(
  object: T,
  method: keyof T,
  error = new Error("injected fault"),
): void {
  const original = object[method];
  if (typeof original !== "function") throw new Error(`${String(method)} is not a method`);
  object[method] = ((..._args: unknown[]) => {
    object[method] = original;
    return Promise.reject(error);
  }) as T[keyof T];
}

export type FakeClaims = ClaimStore & { keys(): string[] };

export function fakeClaims(): FakeClaims {
  const claims = new Map<string, { group: string; at: Date; expiresAt: Date | null }>();
  return {
    async claim(key, group, expiresAt) {
      if (claims.has(key)) return false;
      claims.set(key, { group, at: new Date(), expiresAt: expiresAt ?? null });
      return true;
    },
    claimedAt: async (key) => claims.get(key)?.at ?? null,
    count: async (group) => [...claims.values()].filter((c) => c.group === group).length,
    release: async (key) => void claims.delete(key),
    async releaseKeys(keys) {
      for (const key of keys) claims.delete(key);
    },
    async releaseGroup(group) {
      for (const [key, c] of claims) if (c.group === group) claims.delete(key);
    },
    async sweep() {
      let swept = 0;
      for (const [key, c] of claims)
        if (c.expiresAt && c.expiresAt.getTime() < Date.now()) swept += Number(claims.delete(key));
      return swept;
    },
    keys: () => [...claims.keys()],
  };
}

export type FakeThrottleLocks = ThrottleLockStore & { all(): Map<string, ThrottleLock> };

/** Throttle locks: one record per key, replaced by `save`, swept after `forgetAt`. */
export function fakeThrottleLocks(): FakeThrottleLocks {
  const locks = new Map<string, ThrottleLock>();
  return {
    find: async (key) => structuredClone(locks.get(key) ?? null),
    save: async (key, lock) => void locks.set(key, structuredClone(lock)),
    remove: async (key) => void locks.delete(key),
    async sweep() {
      let swept = 0;
      for (const [key, lock] of locks)
        if (lock.forgetAt.getTime() < Date.now()) swept += Number(locks.delete(key));
      return swept;
    },
    all: () => new Map(locks),
  };
}

export type FakeUsers = UserRepository & {
  all(): UserRecord[];
  set(id: string, changes: Partial<UserRecord>): void;
};

export function fakeUsers(): FakeUsers {
  const users = new Map<string, UserRecord>();
  const copy = (user: UserRecord | undefined): UserRecord | null => (user ? structuredClone(user) : null);
  const byIdentifier = (identifier: string) => {
    const key = normalizeKey(identifier);
    return [...users.values()].find((u) => (key.includes("@") ? u.email_key : u.username_key) === key);
  };
  const publicOf = (user: UserRecord | undefined): PublicUserRecord | null =>
    user
      ? ({
          id: user.id,
          ...Object.fromEntries(publicUserFields.map((f) => [f, structuredClone(user[f])])),
        } as PublicUserRecord)
      : null;
  const taken = (username: string, email: string) => {
    const all = [...users.values()];
    if (all.some((u) => u.username_key === normalizeKey(username))) return "USERNAME_TAKEN" as const;
    return all.some((u) => u.email_key === normalizeKey(email)) ? ("EMAIL_TAKEN" as const) : null;
  };
  const update = (id: string, changes: Partial<UserRecord>) => {
    const user = users.get(id);
    if (!user) return null;
    Object.assign(user, changes, { updated_at: new Date() });
    return copy(user);
  };
  return {
    newId,
    findTaken: async (username, email) => taken(username, email),
    async insert(user) {
      // Checked and stored with no await between, like a unique index: one of two wins.
      const which = taken(user.username, user.email);
      if (which) throw takenError(which);
      const now = new Date();
      const record: UserRecord = {
        ...structuredClone(user),
        locale: user.locale ?? null,
        username_key: normalizeKey(user.username),
        email_key: normalizeKey(user.email),
        password_changed_at: null,
        reset_requested_at: null,
        email_reverts: [],
        password_locked: false,
        login_code: null,
        created_at: now,
        updated_at: now,
      };
      users.set(record.id, record);
      return structuredClone(record);
    },
    findById: async (id) => copy(users.get(id)),
    findByIdentifier: async (identifier) => copy(byIdentifier(identifier)),
    findPublicById: async (id) => publicOf(users.get(id)),
    findPublicByIdentifier: async (identifier) => publicOf(byIdentifier(identifier)),
    async list({ limit, after, prefix, isActive, role }) {
      const key = prefix === undefined ? undefined : normalizeKey(prefix);
      return [...users.values()]
        .filter((u) => isActive === undefined || u.is_active === isActive)
        .filter((u) => role === undefined || u.role === role)
        .filter(
          (u) =>
            key === undefined ||
            [u.username_key, u.email_key, normalizeKey(u.first_name), normalizeKey(u.last_name)].some((v) =>
              v.startsWith(key),
            ),
        )
        .sort((a, b) => b.created_at.getTime() - a.created_at.getTime() || (a.id < b.id ? 1 : -1))
        .filter(
          (u) =>
            !after ||
            u.created_at.getTime() < after.createdAt.getTime() ||
            (u.created_at.getTime() === after.createdAt.getTime() && u.id < after.id),
        )
        .slice(0, limit + 1)
        .map((u) => publicOf(u) as PublicUserRecord);
    },
    async activate({ id, codeId }) {
      const user = users.get(id);
      if (!user || user.is_active || user.activation?.code_id !== codeId) return null;
      return update(id, { is_active: true });
    },
    async recordFailedActivation(id, codeId) {
      const user = users.get(id);
      if (user?.activation?.code_id === codeId) user.activation.attempts++;
    },
    async replaceActivation({ id, codeId, activation }) {
      const user = users.get(id);
      if (!user || user.is_active || user.activation?.code_id !== codeId) return false;
      return update(id, { activation }) !== null;
    },
    async setPasswordHash(id, hash, how) {
      const user = users.get(id);
      if (!user || ("replacing" in how && user.password_hash !== how.replacing)) return false;
      if ("changedAt" in how && !how.unlock && user.password_locked) return false;
      update(id, {
        password_hash: hash,
        ...("changedAt" in how
          ? { password_changed_at: how.changedAt, ...(how.unlock ? { password_locked: false } : {}) }
          : {}),
      });
      return true;
    },
    async setResetRequestedAt(id, at) {
      update(id, { reset_requested_at: at });
    },
    async updateMfa(id, { mfa_enabled, mfa }) {
      const user = users.get(id);
      if (!user) return null;
      const current = user.mfa ?? {
        secret_enc: null,
        pending_secret_enc: null,
        pending_id: null,
        last_step: null,
        recovery_hashes: [],
        recovery_pepper_enc: null,
      };
      return update(id, {
        ...(mfa_enabled === undefined ? {} : { mfa_enabled }),
        mfa: { ...current, ...mfa },
      });
    },
    async removeRecoveryHash(id, hash) {
      const user = users.get(id);
      if (user?.mfa) user.mfa.recovery_hashes = user.mfa.recovery_hashes.filter((h) => h !== hash);
    },
    async resealMfa(id, { from, to }) {
      const mfa = users.get(id)?.mfa;
      const fields = Object.keys(from) as (keyof typeof from)[];
      if (!mfa || fields.some((field) => (mfa[field] ?? null) !== from[field])) return false;
      Object.assign(mfa, to);
      return true;
    },
    updateProfile: async (id, set) => update(id, set),
    async replaceLoginCode({ id, replacing, loginCode }) {
      const user = users.get(id);
      if (!user || (user.login_code?.code_id ?? null) !== replacing) return false;
      return update(id, { login_code: loginCode }) !== null;
    },
    async setEmailChange(id, state) {
      update(id, { email_change: state });
    },
    async applyEmailChange(id, codeId, revert) {
      const user = users.get(id);
      const change = user?.email_change;
      if (!user || !change || change.code_id !== codeId) return null;
      if ([...users.values()].some((u) => u.id !== id && u.email_key === change.new_email_key))
        throw takenError("EMAIL_TAKEN");
      const live = user.email_reverts.filter((r) => r.expires_at.getTime() > Date.now());
      return update(id, {
        email: change.new_email,
        email_key: change.new_email_key,
        email_change: null,
        email_reverts: [...live, structuredClone(revert)],
      });
    },
    async revertEmailChange(id, tokenHash) {
      const user = users.get(id);
      const reverts = user?.email_reverts ?? [];
      const index = reverts.findIndex((r) => r.token_hash === tokenHash);
      const revert = reverts[index];
      if (!user || !revert) return null;
      const mfa = user.mfa ? { ...user.mfa, pending_secret_enc: null, pending_id: null } : null;
      update(id, { password_locked: true, email_change: null, mfa });
      if ([...users.values()].some((u) => u.id !== id && u.email_key === revert.email_key))
        throw takenError("EMAIL_TAKEN");
      return update(id, {
        email: revert.email,
        email_key: revert.email_key,
        email_reverts: reverts.slice(0, index),
      });
    },
    deleteById: async (id) => users.delete(id),
    all: () => [...users.values()].map((u) => structuredClone(u)),
    set(id, changes) {
      const user = users.get(id);
      if (user) Object.assign(user, changes);
    },
  };
}

export function fakeResetTokens(): ResetTokenStore & { all(): ResetTokenRecord[] } {
  const tokens: ResetTokenRecord[] = [];
  return {
    async create({ userId, tokenHash, emailKey, expiresAt }) {
      tokens.push({
        id: newId(),
        user_id: userId,
        token_hash: tokenHash,
        email_key: emailKey,
        expires_at: expiresAt,
        created_at: new Date(),
      });
    },
    findByHash: async (hash) => structuredClone(tokens.find((t) => t.token_hash === hash) ?? null),
    async deleteForUser(userId) {
      for (let i = tokens.length - 1; i >= 0; i--) if (tokens[i]?.user_id === userId) tokens.splice(i, 1);
    },
    async purgeExpired(before) {
      const expired = tokens.filter((t) => t.expires_at < before);
      for (const token of expired) tokens.splice(tokens.indexOf(token), 1);
      return expired.length;
    },
    all: () => structuredClone(tokens),
  };
}

type StoredMessage = ClaimedMessage & {
  status: "pending" | "sent" | "failed" | "dropped";
  dueAt: Date;
  owner: string | null;
  lastError: string | null;
};

export type FakeOutboxStore = OutboxStore & { messages(): StoredMessage[] };

/** The outbox store: messages in memory, one lease at a time. */
export function fakeOutboxStore(): FakeOutboxStore {
  const messages = new Map<string, StoredMessage>();
  const finish = (id: string, owner: string, status: StoredMessage["status"], lastError: string | null) => {
    const message = messages.get(id);
    if (message?.owner === owner) Object.assign(message, { status, owner: null, lastError });
  };
  return {
    async enqueue({ userId, kind, ref, email }) {
      const id = newId();
      const now = new Date();
      messages.set(id, {
        id,
        userId,
        kind,
        ref,
        email,
        attempts: 0,
        createdAt: now,
        status: "pending",
        dueAt: now,
        owner: null,
        lastError: null,
      });
      return id;
    },
    discard: async (id) => void messages.delete(id),
    async discardForUser(userId, kinds) {
      for (const [id, m] of messages)
        if (m.userId === userId && (!kinds || kinds.includes(m.kind))) messages.delete(id);
    },
    async claimNext(owner) {
      const due = [...messages.values()]
        .filter((m) => m.status === "pending" && m.owner === null && m.dueAt.getTime() <= Date.now())
        .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())[0];
      if (!due) return null;
      due.owner = owner;
      const { status: _s, dueAt: _d, owner: _o, lastError: _l, ...claimed } = structuredClone(due);
      return claimed;
    },
    markSent: async (id, owner) => finish(id, owner, "sent", null),
    markFailed: async (id, owner, error) => finish(id, owner, "failed", error),
    markDropped: async (id, owner, reason) => finish(id, owner, "dropped", reason),
    async retryLater(id, owner, { at, error, countAttempt }) {
      const message = messages.get(id);
      if (message?.owner !== owner) return;
      Object.assign(message, {
        owner: null,
        dueAt: at,
        lastError: error,
        attempts: message.attempts + (countAttempt ? 1 : 0),
      });
    },
    async stats() {
      const pending = [...messages.values()].filter((m) => m.status === "pending");
      const failed = [...messages.values()].filter((m) => m.status === "failed").length;
      const oldest = pending.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())[0];
      return { pending: pending.length, failed, oldestPendingAt: oldest?.createdAt ?? null };
    },
    async purgeFinished(before) {
      let purged = 0;
      for (const [id, m] of messages)
        if ((m.status === "sent" || m.status === "dropped") && m.createdAt < before)
          purged += Number(messages.delete(id));
      return purged;
    },
    messages: () => [...messages.values()].map((m) => structuredClone(m)),
  };
}

/** A mailer that records what it sends; `failing` makes every send throw. */
export function fakeMailer(): Mailer & { sent: EmailMessage[]; failing: boolean } {
  const mailer = {
    sent: [] as EmailMessage[],
    failing: false,
    async send(message: EmailMessage) {
      if (mailer.failing) throw new Error("SMTP is down");
      mailer.sent.push(message);
    },
    close() {},
  };
  return mailer;
}

/**
 * A fast stand-in for argon2 with the hasher's contract: `hash:<password>` strings; counts
 * every hash and verification (equal work is a count here); `busy` makes it refuse with
 * SERVICE_BUSY; `weak` hashes report that they need a rehash.
 */
export function fakeHasher(): PasswordHasher & { calls: { hash: number; verify: number }; busy: boolean } {
  const hasher = {
    calls: { hash: 0, verify: 0 },
    busy: false,
    async hash(password: string) {
      if (hasher.busy) throw hasherBusyError();
      hasher.calls.hash++;
      return `hash:${password}`;
    },
    async verify(hash: string, password: string) {
      if (hasher.busy) throw hasherBusyError();
      hasher.calls.verify++;
      return hash === `hash:${password}` || hash === `weak:${password}`;
    },
    needsRehash: (hash: string) => hash.startsWith("weak:"),
    waiting: () => 0,
    full: () => hasher.busy,
    admit() {
      if (hasher.busy) throw hasherBusyError();
    },
  };
  return hasher;
}

/** The secret key behind each keyring the fakes made (to build the next one in a rotation). */
const secretOf = new WeakMap<Keyring, string>();
function randomSecretKey(): string {
  return randomBytes(32).toString("base64url");
}

const keyringOf = (current: string, previous: string[] = []) => {
  const keys = createKeyring({ current, previous });
  secretOf.set(keys, current);
  return keys;
};
const secretBehind = (keys: Keyring) => {
  const secret = secretOf.get(keys);
  if (secret === undefined) throw new Error("not a keyring made by the fakes");
  return secret;
};

/**
 * The keyring that follows `keys` in a rotation: a new current key, with `keys`' current
 * key as the previous one (SECRET_KEY=new, SECRET_KEY_PREVIOUS=old).
 */
export const rotatedKeyring = (keys: Keyring): Keyring => keyringOf(randomSecretKey(), [secretBehind(keys)]);

/** The current key of `keys` alone (the previous keys removed from the configuration). */
export const currentKeyOnly = (keys: Keyring): Keyring => keyringOf(secretBehind(keys));

/** A keyring of a key no one else holds. */
export const strangerKeyring = (): Keyring => keyringOf(randomSecretKey());

/** Passkeys in memory: unique credential ids, the counter only grows (like `$max`). */
export function fakePasskeys(): PasskeyStore & { all(): PasskeyRecord[] } {
  const byId = new Map<string, PasskeyRecord>();
  const copy = (p: PasskeyRecord): PasskeyRecord => ({ ...p, transports: [...p.transports] });
  const ofUser = (userId: string, id: string) => {
    const found = byId.get(id);
    return found?.user_id === userId ? found : undefined;
  };
  return {
    async insert(passkey) {
      if (byId.has(passkey.id)) return false;
      byId.set(passkey.id, copy(passkey));
      return true;
    },
    findById: async (id) => {
      const found = byId.get(id);
      return found ? copy(found) : null;
    },
    listForUser: async (userId) =>
      [...byId.values()]
        .filter((p) => p.user_id === userId)
        .sort((a, b) => a.created_at.getTime() - b.created_at.getTime())
        .map(copy),
    async rename(userId, id, name) {
      const found = ofUser(userId, id);
      if (!found) return null;
      found.name = name;
      return copy(found);
    },
    async recordUse(id, use) {
      const found = byId.get(id);
      if (!found) return;
      found.counter = Math.max(found.counter, use.counter);
      found.backed_up = use.backedUp;
      found.last_used_at = use.at;
    },
    remove: async (userId, id) => (ofUser(userId, id) ? byId.delete(id) : false),
    async removeForUser(userId) {
      for (const [id, p] of byId) if (p.user_id === userId) byId.delete(id);
    },
    all: () => [...byId.values()].map(copy),
  };
}

/** A stored passkey of `userId` (not a real key: for tests that do not verify signatures). */
export const passkeyOf = (
  userId: string,
  id: string,
  overrides: Partial<PasskeyRecord> = {},
): PasskeyRecord => ({
  id,
  user_id: userId,
  public_key: "pQECAyYgASFYIA",
  counter: 0,
  transports: ["internal"],
  device_type: "singleDevice",
  backed_up: false,
  name: "Passkey",
  created_at: new Date(),
  last_used_at: null,
  ...overrides,
});

/** Security events as reported by the use cases, in order (the fake of the SecurityEvents port). */
export function fakeSecurityEvents(): SecurityEvents & { recorded: SecurityEventInput[]; types(): string[] } {
  const recorded: SecurityEventInput[] = [];
  return {
    recorded,
    types: () => recorded.map((event) => event.type),
    async record(input) {
      recorded.push(input);
    },
    async recordAll(inputs) {
      recorded.push(...inputs);
    },
  };
}

/** The ports and keys a use case needs, in memory, plus the email outbox over the fake store. */
let zxcvbn: ZxcvbnFactory | undefined;

/**
 * zxcvbn in-process, with the options of the server's worker (strength-estimator.ts), built
 * once for all tests of a file: use-case tests judge passwords as the server does.
 */
export function inProcessEstimator(): StrengthEstimator {
  zxcvbn ??= new ZxcvbnFactory({
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary },
    graphs: zxcvbnCommon.adjacencyGraphs,
    translations: zxcvbnEn.translations,
    maxLength: strengthOptions.estimatedLength,
    l33tMaxSubstitutions: strengthOptions.l33tMaxSubstitutions,
  });
  const factory = zxcvbn;
  return {
    async estimate(password, userInputs) {
      const result = factory.check(password, [...userInputs]);
      return {
        score: result.score,
        warning: result.feedback.warning || null,
        suggestions: result.feedback.suggestions,
      };
    },
    running: () => true,
    close: async () => {},
  };
}

export function createFakes() {
  const keys = keyringOf(randomSecretKey());
  const store = fakeOutboxStore();
  return {
    keys,
    claims: fakeClaims(),
    locks: fakeThrottleLocks(),
    users: fakeUsers(),
    resetTokens: fakeResetTokens(),
    passkeys: fakePasskeys(),
    store,
    outbox: createEmailOutbox(store),
    hasher: fakeHasher(),
    /** The server's policy (zxcvbn, minimum score 3), in-process. */
    policy: createPasswordPolicy({ minScore: 3, estimator: inProcessEstimator() }),
    mailer: fakeMailer(),
    events: fakeSecurityEvents(),
    /** Runs background work inline, remembering it so tests can await it. */
    background: [] as Promise<void>[],
  };
}

export type Fakes = ReturnType<typeof createFakes>;

/** Emails queued for a user (rendered), oldest first. */
export const queuedFor = (fakes: Fakes, userId: string) =>
  fakes.store.messages().filter((m) => m.userId === userId && m.status === "pending");

export { claimKeys };

/* ---------------------------------------------------------------------------------------
 * Helpers shared by the use-case tests: seeded users, the collaborators several use cases
 * share (built like the composition root builds them), and readers of queued email.
 * ------------------------------------------------------------------------------------- */

/** The password of seeded users unless a test picks another (stored as `hash:<password>`). */
export const seedPassword = "correct horse battery staple";

let seeded = 0;

export type SeedOverrides = Partial<Omit<NewUser, "id" | "password_hash">> & {
  password?: string;
  createdAt?: Date;
};

/**
 * Inserts a user: active, role "user", no MFA, unless overridden; its hash is
 * `hash:<password>` (what fakeHasher makes). Returns the stored record and the password.
 */
export async function seedUser(
  fakes: Pick<Fakes, "users">,
  overrides: SeedOverrides = {},
): Promise<{ user: UserRecord; password: string }> {
  const n = ++seeded;
  const { password = seedPassword, createdAt, ...fields } = overrides;
  const inserted = await fakes.users.insert({
    id: fakes.users.newId(),
    username: `user${n}`,
    first_name: `First${n}`,
    last_name: `Last${n}`,
    email: `user${n}@example.com`,
    password_hash: `hash:${password}`,
    gender: "Unspecified",
    role: "user",
    is_active: true,
    mfa_enabled: false,
    activation: null,
    mfa: null,
    email_change: null,
    ...fields,
  });
  if (createdAt) fakes.users.set(inserted.id, { created_at: createdAt, updated_at: createdAt });
  return { user: await storedUser(fakes, inserted.id), password };
}

/** The user as stored now; fails the test when there is none. */
export async function storedUser(fakes: Pick<Fakes, "users">, id: string): Promise<UserRecord> {
  const user = await fakes.users.findById(id);
  if (!user) throw new Error(`no stored user ${id}`);
  return user;
}

/** Turns MFA on for a user (as a confirmed enrolment leaves it); returns the secret and recovery codes. */
export async function seedMfa(
  fakes: Fakes,
  userId: string,
): Promise<{ secret: string; recoveryCodes: string[] }> {
  const secret = newTotpSecret();
  const recovery = newRecoverySet(fakes.keys);
  await fakes.users.updateMfa(userId, {
    mfa_enabled: true,
    mfa: {
      secret_enc: fakes.keys.seal(secret),
      pending_secret_enc: null,
      pending_id: null,
      last_step: null,
      recovery_hashes: recovery.hashes,
      recovery_pepper_enc: recovery.pepperSealed,
    },
  });
  return { secret, recoveryCodes: recovery.codes };
}

/** The code an authenticator shows `steps` 30-second steps from now. */
export const totpIn = (secret: string, steps = 0) =>
  currentTotp(secret, Math.floor(Date.now() / 1000) + 30 * steps);

/** A 6-digit code that no step near now (two either side) of `secret` produces. */
export async function wrongTotp(secret: string): Promise<string> {
  const near = new Set(await Promise.all([-2, -1, 0, 1, 2].map((steps) => totpIn(secret, steps))));
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, "0");
    if (!near.has(code)) return code;
  }
}

/** Another 6-digit code than `code`. */
export const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

/** The per-account daily bound on code tries, shared by both code checkers (as on the server). */
export const dailyCodeTries = (fakes: Fakes) =>
  createThrottle({
    claims: fakes.claims,
    locks: fakes.locks,
    name: "codes",
    limit: maxCodeTriesPerDay,
    windowSeconds: 86_400,
  });

/** The activation-code checker, as the server builds it. */
export const activationCodes = (fakes: Fakes) =>
  createCodeChecker({
    claims: fakes.claims,
    keys: fakes.keys,
    keyOf: claimKeys.activationCode,
    daily: dailyCodeTries(fakes),
  });

/** The email-change-code checker, as the server builds it. */
export const emailChangeCodes = (fakes: Fakes) =>
  createCodeChecker({
    claims: fakes.claims,
    keys: fakes.keys,
    keyOf: claimKeys.emailChangeCode,
    daily: dailyCodeTries(fakes),
  });

export type ThrottleLimits = {
  account: number;
  ip: number | null;
  mfa: number;
  windowSeconds: number;
  /** Failures per UTC day (passwords; second factors), or none: the tests of that bound set them. */
  day?: { password: number; mfa: number };
};

/** Small limits, so that tests reach them quickly. */
export const testLimits: ThrottleLimits = { account: 5, ip: 20, mfa: 5, windowSeconds: 900 };

/** How the server escalates account locks: doubling, capped at 24 h, a series kept a day. */
export const testEscalation = { maxSeconds: 86_400, memorySeconds: 86_400 };

/** The login throttle policy over the fakes' claims and locks (built as the server builds it). */
export const loginAttemptsFor = (
  fakes: Fakes,
  limits: ThrottleLimits = testLimits,
  now: () => number = Date.now,
) =>
  createLoginAttempts({
    hasher: fakes.hasher,
    outbox: fakes.outbox,
    runInBackground: runInBackgroundOf(fakes),
    events: fakes.events,
    throttles: {
      account: createThrottle({
        claims: fakes.claims,
        locks: fakes.locks,
        name: "password",
        limit: limits.account,
        windowSeconds: limits.windowSeconds,
        escalation: testEscalation,
        now,
      }),
      ip:
        limits.ip === null
          ? null
          : createThrottle({
              claims: fakes.claims,
              locks: fakes.locks,
              name: "password-ip",
              limit: limits.ip,
              windowSeconds: limits.windowSeconds,
              now,
            }),
      day: limits.day
        ? createThrottle({
            claims: fakes.claims,
            locks: fakes.locks,
            name: "password-day",
            limit: limits.day.password,
            windowSeconds: 86_400,
            now,
          })
        : null,
    },
  });

/** The second factor over the fakes (its own throttle, as on the server). */
export const secondFactorFor = (
  fakes: Fakes,
  limits: ThrottleLimits = testLimits,
  now: () => number = Date.now,
) =>
  createSecondFactor({
    users: fakes.users,
    claims: fakes.claims,
    outbox: fakes.outbox,
    throttle: createThrottle({
      claims: fakes.claims,
      locks: fakes.locks,
      name: "mfa",
      escalation: testEscalation,
      limit: limits.mfa,
      windowSeconds: limits.windowSeconds,
      now,
    }),
    day: limits.day
      ? createThrottle({
          claims: fakes.claims,
          locks: fakes.locks,
          name: "mfa-day",
          limit: limits.day.mfa,
          windowSeconds: 86_400,
          now,
        })
      : undefined,
    keys: fakes.keys,
    events: fakes.events,
  });

/** The re-authentication of sensitive changes over the fakes, as on the server. */
export const stepUpFor = (fakes: Fakes, limits: ThrottleLimits = testLimits) =>
  createStepUp({
    attempts: loginAttemptsFor(fakes, limits),
    hasher: fakes.hasher,
    secondFactor: secondFactorFor(fakes, limits),
  });

/** Runs background work at once, keeping its promise in `fakes.background`. */
export const runInBackgroundOf =
  (fakes: Fakes): RunInBackground =>
  (task) => {
    fakes.background.push(task());
  };

/** Waits for the background work started so far; returns how each piece ended. */
export const settleBackground = (fakes: Fakes) => Promise.allSettled(fakes.background.splice(0));

/** The one element of `items`; fails the test when there are none or several. */
export function single<T>(items: readonly T[]): T {
  const [item, ...rest] = items;
  if (item === undefined || rest.length > 0) throw new Error(`expected exactly one, got ${items.length}`);
  return item;
}

/** The 6-digit code an email carries (activation, email change). */
export function codeIn(email: EmailMessage): string {
  const code = /\b(\d{6})\b/.exec(email.text)?.[1];
  if (!code) throw new Error(`no code in ${JSON.stringify(email.text)}`);
  return code;
}

/** The `token` of the link an email carries (password reset, activation, email change and its revert). */
export function tokenIn(email: EmailMessage): string {
  const link = /https?:\/\/\S+/.exec(email.text)?.[0];
  const token = link ? new URL(link).searchParams.get("token") : null;
  if (!token) throw new Error(`no link with a token in ${JSON.stringify(email.text)}`);
  return token;
}

/** The DomainError a promise rejects with; fails the test when it resolves or throws something else. */
export async function domainErrorOf(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error("expected a DomainError, but the call succeeded");
}

/** Who replaces a stored password hash (a change, or once an upgrade), over the fakes. */
export const successionFor = (f: Fakes) =>
  createHashSuccession({ claims: f.claims, users: f.users, waitMs: 200 });

/** The email-change use cases over the fakes, as the server builds them (one code checker). */
export function emailChangeFor(
  fakes: Fakes,
  options: { codeLifetimeMinutes?: number; cooldownSeconds?: number } = {},
) {
  const codes = emailChangeCodes(fakes);
  const request = createRequestEmailChange({
    events: fakes.events,
    claims: fakes.claims,
    users: fakes.users,
    outbox: fakes.outbox,
    codes,
    stepUp: stepUpFor(fakes),
    codeLifetimeMinutes: options.codeLifetimeMinutes ?? 15,
    confirmUrl: "https://app.example.com/confirm-email",
    cooldownSeconds: options.cooldownSeconds ?? 60,
  });
  const confirmDeps = {
    users: fakes.users,
    claims: fakes.claims,
    outbox: fakes.outbox,
    codes,
    resetTokens: fakes.resetTokens,
    keys: fakes.keys,
    revertUrl: "https://app.example.com/revert-email",
    events: fakes.events,
  };
  const confirm = createConfirmEmailChange(confirmDeps);
  const revert = createRevertEmailChange({
    events: fakes.events,
    users: fakes.users,
    claims: fakes.claims,
    resetTokens: fakes.resetTokens,
    passkeys: fakes.passkeys,
    outbox: fakes.outbox,
    keys: fakes.keys,
  });
  return { codes, request, confirm, confirmDeps, revert };
}

/** The audit trail in memory (the fake of AuditStore). */
export function fakeAuditStore(): AuditStore & { all(): AuditEvent[]; failing: boolean } {
  const events = new Map<string, AuditEvent & { fanout: boolean }>();
  let counter = 0;
  const newest = (a: AuditEvent, b: AuditEvent) =>
    b.timestamp.getTime() - a.timestamp.getTime() || (a.id < b.id ? 1 : -1);
  const store = {
    failing: false,
    all: () => [...events.values()],
    newId: () => (Date.now().toString(16) + (counter++).toString(16).padStart(8, "0")).padStart(24, "0"),
    async insert(event: AuditEvent) {
      if (store.failing) throw new DomainError("DATABASE_UNAVAILABLE", "fake outage");
      if (!events.has(event.id)) events.set(event.id, { ...event, fanout: true });
    },
    async insertMany(list: readonly AuditEvent[]) {
      if (store.failing) throw new DomainError("DATABASE_UNAVAILABLE", "fake outage");
      for (const event of list) if (!events.has(event.id)) events.set(event.id, { ...event, fanout: true });
    },
    async list(query: AuditQuery) {
      return [...events.values()]
        .filter((e) => !query.userId || e.userId === query.userId)
        .filter((e) => !query.type || e.type === query.type)
        .filter((e) => !query.from || e.timestamp >= query.from)
        .filter((e) => !query.to || e.timestamp < query.to)
        .filter((e) => {
          const after = query.after;
          if (!after) return true;
          return (
            e.timestamp < after.timestamp ||
            (e.timestamp.getTime() === after.timestamp.getTime() && e.id < after.id)
          );
        })
        .sort(newest)
        .slice(0, query.limit + 1);
    },
    async pendingFanout(limit: number) {
      return [...events.values()].filter((e) => e.fanout).slice(0, limit);
    },
    async markFannedOut(ids: readonly string[]) {
      for (const id of ids) {
        const event = events.get(id);
        if (event) event.fanout = false;
      }
    },
    async purgeBefore(before: Date) {
      let count = 0;
      for (const [id, event] of events) {
        if (event.timestamp < before) {
          events.delete(id);
          count++;
        }
      }
      return count;
    },
  };
  return store;
}

/** Webhook subscriptions and deliveries in memory (leases: one owner at a time, no expiry). */
export function fakeWebhookStores() {
  const subs = new Map<string, WebhookSubscription>();
  const deliveries = new Map<string, WebhookDelivery & { payload: string; owner: string | null }>();
  let counter = 0;
  const subscriptions: WebhookSubscriptionStore = {
    newId: () => (counter++).toString(16).padStart(24, "a"),
    async create(s) {
      const now = new Date();
      const created = { ...s, createdAt: now, updatedAt: now };
      subs.set(s.id, created);
      return created;
    },
    get: async (id) => subs.get(id) ?? null,
    list: async () => [...subs.values()],
    async update(id, changes) {
      const found = subs.get(id);
      if (!found) return null;
      const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
      const updated = { ...found, ...defined, updatedAt: new Date() };
      subs.set(id, updated);
      return updated;
    },
    remove: async (id) => subs.delete(id),
    async recordOutcome(id, { ok, at }) {
      const found = subs.get(id);
      if (!found) return null;
      const updated = ok
        ? { ...found, failureStreak: 0, failingSince: null, lastSuccessAt: at }
        : { ...found, failureStreak: found.failureStreak + 1, failingSince: found.failingSince ?? at };
      subs.set(id, updated);
      return updated;
    },
  };
  const finish = (id: string, owner: string, changes: Partial<WebhookDelivery>) => {
    const found = deliveries.get(id);
    if (found?.owner === owner) deliveries.set(id, { ...found, ...changes, owner: null });
  };
  const deliveryStore: WebhookDeliveryStore = {
    async createMany(list) {
      for (const d of list) {
        if (deliveries.has(d.id)) continue;
        deliveries.set(d.id, {
          ...d,
          status: "pending",
          attempts: 0,
          nextAttemptAt: new Date(),
          lastError: null,
          lastStatusCode: null,
          durationMs: null,
          createdAt: new Date(),
          deliveredAt: null,
          owner: null,
        });
      }
    },
    async claimNext(owner) {
      const due = [...deliveries.values()].find(
        (d) => d.status === "pending" && d.owner === null && d.nextAttemptAt.getTime() <= Date.now(),
      );
      if (!due) return null;
      due.owner = owner;
      return { ...due };
    },
    markDelivered: async (id, owner, r) =>
      finish(id, owner, { status: "delivered", deliveredAt: new Date(), lastStatusCode: r.statusCode }),
    markFailed: async (id, owner, r) => {
      const attempts = (deliveries.get(id)?.attempts ?? 0) + 1;
      finish(id, owner, { status: "failed", attempts, lastError: r.error, lastStatusCode: r.statusCode });
    },
    retryLater: async (id, owner, r) => {
      const attempts = (deliveries.get(id)?.attempts ?? 0) + 1;
      finish(id, owner, { nextAttemptAt: r.at, attempts, lastError: r.error, lastStatusCode: r.statusCode });
    },
    listForSubscription: async (subscriptionId, { limit }) =>
      [...deliveries.values()].filter((d) => d.subscriptionId === subscriptionId).slice(0, limit + 1),
    async discardForSubscription(subscriptionId) {
      for (const [id, d] of deliveries) if (d.subscriptionId === subscriptionId) deliveries.delete(id);
    },
    async stats() {
      const all = [...deliveries.values()];
      return {
        pending: all.filter((d) => d.status === "pending").length,
        failed: all.filter((d) => d.status === "failed").length,
        oldestPendingAt: null,
      };
    },
    purgeFinished: async () => 0,
  };
  return {
    subscriptions,
    deliveries: deliveryStore,
    /** Every delivery as stored. */
    allDeliveries: () => [...deliveries.values()],
    /** Makes every pending delivery due now (skips the backoff in tests). */
    makeDue() {
      for (const d of deliveries.values()) d.nextAttemptAt = new Date(0);
    },
  };
}
