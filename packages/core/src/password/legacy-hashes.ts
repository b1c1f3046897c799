import { pbkdf2, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { BcryptWorkerFailed, bcryptHash } from "./bcrypt-worker";

/*
 * Password hashes made by other systems, verified so their users keep their passwords until
 * the first login replaces the hash with argon2id (a legacy hash always needs a rehash):
 *
 * - Werkzeug (the Python service): `scrypt:N:r:p$salt$hex` (Werkzeug 3's default; 64-byte
 *   key) and `pbkdf2:sha256|sha1|sha512:ITERATIONS$salt$hex` (key of the digest's length).
 *   Werkzeug uses the salt as UTF-8 text, not decoded, and compares the hex of the key.
 * - bcrypt `$2a$` / `$2b$` / `$2y$` (verified with bcryptjs).
 * - Django `pbkdf2_sha256$ITERATIONS$salt$base64` (and `pbkdf2_sha1`), salt as UTF-8 text.
 * - argon2 PHC strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`): verified by the argon2
 *   library as our own hashes are.
 *
 * Parameters are bounded (a stored or imported hash must not make one login cost seconds or
 * gigabytes); a hash outside the bounds, or malformed, verifies as false and never throws.
 * Every comparison of derived keys is constant time.
 */

export type HashFormat = "argon2" | "werkzeug-scrypt" | "werkzeug-pbkdf2" | "bcrypt" | "django-pbkdf2";

/** The format of a supported hash, or why it is not one. */
export type HashDescription = { ok: true; format: HashFormat } | { ok: false; reason: string };

const scryptAsync = promisify(scrypt) as (
  password: Buffer,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;
const pbkdf2Async = promisify(pbkdf2);

/** Bounds of what one verification may cost. */
export const legacyHashBounds = {
  scrypt: { maxN: 2 ** 17, maxR: 16, maxP: 4, maxMemoryBytes: 256 * 1024 * 1024 },
  pbkdf2: { maxIterations: 2_000_000 },
  bcrypt: { minCost: 4, maxCost: 14 },
  argon2: { maxMemoryKiB: 256 * 1024, maxTime: 10, maxParallelism: 16 },
} as const;

const digests = { sha1: 20, sha256: 32, sha512: 64 } as const;
type Digest = keyof typeof digests;
const isDigest = (name: string): name is Digest => Object.hasOwn(digests, name);

const decimal = /^[1-9][0-9]{0,9}$/;
const lowerHex = /^[0-9a-f]+$/;
const base64 = /^[A-Za-z0-9+/]+={0,2}$/;

type Parsed =
  | { format: "argon2" }
  | { format: "werkzeug-scrypt"; N: number; r: number; p: number; salt: string; key: Buffer }
  | {
      format: "werkzeug-pbkdf2" | "django-pbkdf2";
      digest: Digest;
      iterations: number;
      salt: string;
      key: Buffer;
    }
  | { format: "bcrypt"; hash: string };

type ParseResult = { ok: true; parsed: Parsed } | { ok: false; reason: string };
const refuse = (reason: string): ParseResult => ({ ok: false, reason });

function parseIterations(text: string | undefined): number | null {
  if (text === undefined || !decimal.test(text)) return null;
  const iterations = Number(text);
  return iterations <= legacyHashBounds.pbkdf2.maxIterations ? iterations : null;
}

function parseWerkzeug(hash: string): ParseResult {
  const first = hash.indexOf("$");
  const second = hash.indexOf("$", first + 1);
  if (first < 0 || second < 0) return refuse("a Werkzeug hash is method$salt$hex");
  const [method = "", ...args] = hash.slice(0, first).split(":");
  const salt = hash.slice(first + 1, second);
  const hex = hash.slice(second + 1);
  if (salt.length === 0) return refuse("the Werkzeug hash has an empty salt");
  if (!lowerHex.test(hex) || hex.length % 2 !== 0)
    return refuse("the Werkzeug hash's key is not lowercase hex");
  const key = Buffer.from(hex, "hex");
  if (method === "scrypt") {
    const [n, r, p] = args.map((arg) => (decimal.test(arg) ? Number(arg) : Number.NaN));
    const { maxN, maxR, maxP, maxMemoryBytes } = legacyHashBounds.scrypt;
    if (
      args.length !== 3 ||
      n === undefined ||
      r === undefined ||
      p === undefined ||
      [n, r, p].some(Number.isNaN)
    )
      return refuse("a Werkzeug scrypt hash is scrypt:N:r:p$salt$hex");
    if (n < 2 || n > maxN || (n & (n - 1)) !== 0 || r > maxR || p > maxP || 128 * n * r > maxMemoryBytes)
      return refuse(
        `scrypt parameters out of bounds (N a power of 2 up to ${maxN}, r up to ${maxR}, p up to ${maxP})`,
      );
    if (key.length !== 64) return refuse("a Werkzeug scrypt key is 64 bytes (128 hex digits)");
    return { ok: true, parsed: { format: "werkzeug-scrypt", N: n, r, p, salt, key } };
  }
  if (method === "pbkdf2") {
    const [digest = "", iterationsText] = args;
    const iterations = parseIterations(iterationsText);
    if (args.length !== 2 || !isDigest(digest))
      return refuse("a Werkzeug pbkdf2 hash is pbkdf2:sha256|sha1|sha512:ITERATIONS$salt$hex");
    if (iterations === null)
      return refuse(`pbkdf2 iterations must be 1..${legacyHashBounds.pbkdf2.maxIterations}`);
    if (key.length !== digests[digest])
      return refuse(`a Werkzeug pbkdf2:${digest} key is ${digests[digest]} bytes`);
    return { ok: true, parsed: { format: "werkzeug-pbkdf2", digest, iterations, salt, key } };
  }
  return refuse(`unknown Werkzeug method "${method}"`);
}

function parseDjango(hash: string): ParseResult {
  const [algorithm = "", iterationsText, salt, encoded, ...rest] = hash.split("$");
  const digest = algorithm.slice("pbkdf2_".length);
  if (
    rest.length > 0 ||
    salt === undefined ||
    encoded === undefined ||
    !isDigest(digest) ||
    digest === "sha512"
  )
    return refuse("a Django hash is pbkdf2_sha256$ITERATIONS$salt$base64 (or pbkdf2_sha1)");
  const iterations = parseIterations(iterationsText);
  if (iterations === null)
    return refuse(`pbkdf2 iterations must be 1..${legacyHashBounds.pbkdf2.maxIterations}`);
  if (salt.length === 0) return refuse("the Django hash has an empty salt");
  if (!base64.test(encoded)) return refuse("the Django hash's key is not base64");
  const key = Buffer.from(encoded, "base64");
  if (key.length !== digests[digest]) return refuse(`a Django ${algorithm} key is ${digests[digest]} bytes`);
  return { ok: true, parsed: { format: "django-pbkdf2", digest, iterations, salt, key } };
}

const bcryptShape = /^\$2[aby]\$([0-9]{2})\$[./A-Za-z0-9]{53}$/;

function parseBcrypt(hash: string): ParseResult {
  const match = bcryptShape.exec(hash);
  if (!match?.[1]) return refuse("a bcrypt hash is $2a$|$2b$|$2y$, a 2-digit cost, then 53 characters");
  const cost = Number(match[1]);
  const { minCost, maxCost } = legacyHashBounds.bcrypt;
  if (cost < minCost || cost > maxCost) return refuse(`bcrypt cost must be ${minCost}..${maxCost}`);
  return { ok: true, parsed: { format: "bcrypt", hash } };
}

const argon2Shape =
  /^\$argon2(?:id|i|d)\$(?:v=(?:16|19)\$)?m=([0-9]{1,10}),t=([0-9]{1,10}),p=([0-9]{1,3})\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}$/;

function parseArgon2(hash: string): ParseResult {
  const match = argon2Shape.exec(hash);
  if (!match) return refuse("an argon2 hash is a PHC string $argon2id$v=19$m=…,t=…,p=…$salt$hash");
  const [m, t, p] = [match[1], match[2], match[3]].map(Number);
  const { maxMemoryKiB, maxTime, maxParallelism } = legacyHashBounds.argon2;
  if (m === undefined || t === undefined || p === undefined || m > maxMemoryKiB || t < 1 || t > maxTime)
    return refuse(`argon2 parameters out of bounds (m up to ${maxMemoryKiB} KiB, t 1..${maxTime})`);
  if (p < 1 || p > maxParallelism || m < 8 * p)
    return refuse(`argon2 parallelism must be 1..${maxParallelism}`);
  return { ok: true, parsed: { format: "argon2" } };
}

function parse(hash: string): ParseResult {
  if (hash.startsWith("$argon2")) return parseArgon2(hash);
  if (hash.startsWith("$2")) return parseBcrypt(hash);
  if (hash.startsWith("pbkdf2_")) return parseDjango(hash);
  if (hash.startsWith("scrypt:") || hash.startsWith("pbkdf2:")) return parseWerkzeug(hash);
  return refuse(
    "unknown hash format (supported: argon2 PHC, bcrypt, Werkzeug scrypt/pbkdf2, Django pbkdf2_sha256)",
  );
}

/** Which supported format `hash` is in (with parameters within bounds), or the reason it is not. */
export function describeHash(hash: string): HashDescription {
  const result = parse(hash);
  return result.ok ? { ok: true, format: result.parsed.format } : result;
}

/** True for a hash this service did not make (anything but argon2): it needs a rehash. */
export const isLegacyHash = (hash: string): boolean => !hash.startsWith("$argon2");

const sameBytes = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

/**
 * Verifies a legacy (non-argon2) hash: false for a wrong password and for any hash that is
 * malformed, out of bounds or argon2 (that one is the argon2 library's). Throws only
 * BcryptWorkerFailed, when the bcrypt worker died holding the check: that answer is unknown.
 */
export async function verifyLegacyHash(hash: string, password: string): Promise<boolean> {
  try {
    const result = parse(hash);
    if (!result.ok) return false;
    const parsed = result.parsed;
    const secret = Buffer.from(password, "utf8");
    switch (parsed.format) {
      case "werkzeug-scrypt": {
        const { N, r, p } = parsed;
        const maxmem = 132 * N * r * p + 1024 * 1024;
        const derived = await scryptAsync(secret, Buffer.from(parsed.salt, "utf8"), parsed.key.length, {
          N,
          r,
          p,
          maxmem,
        });
        return sameBytes(derived, parsed.key);
      }
      case "werkzeug-pbkdf2":
      case "django-pbkdf2": {
        const salt = Buffer.from(parsed.salt, "utf8");
        const derived = await pbkdf2Async(secret, salt, parsed.iterations, parsed.key.length, parsed.digest);
        return sameBytes(derived, parsed.key);
      }
      case "bcrypt": {
        // bcryptjs computes with the stored salt and cost (on a worker thread); compared here in constant time.
        const derived = await bcryptHash(password, parsed.hash.slice(0, 29));
        return sameBytes(Buffer.from(derived), Buffer.from(parsed.hash));
      }
      case "argon2":
        return false;
    }
  } catch (error) {
    if (error instanceof BcryptWorkerFailed) throw error;
    return false;
  }
}
