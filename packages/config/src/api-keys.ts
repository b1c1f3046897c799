import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";

type SettingsProblem = { variable: string; message: string };

/**
 * A caller's API key as configured: its name (on logs, metrics and audit events), its scopes
 * and the SHA-256 of the key. The key itself is never held.
 */
export type ApiKeyEntry = {
  name: string;
  /** Scope names (checked against the server's list at start), or "all": every scope. */
  scopes: readonly string[] | "all";
  /** SHA-256 of the key, lower-case hex. */
  sha256: string;
  /** A plain `API_KEYS` entry (the key itself, full access): kept working, warned about in production. */
  legacy: boolean;
};

/** Names label logs and metrics: short, plain characters. */
export const apiKeyNamePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;
const scopePattern = /^(\*|[a-z]+(:[a-z]+)?)$/;
const digestPattern = /^[0-9a-fA-F]{64}$/;
/**
 * `<name>/<scope>+<scope>/sha256:<hex>`: the compact named form of an `API_KEYS` entry.
 */
const compactPattern = /^([^/]*)\/([^/]*)\/sha256:(.*)$/i;
/**
 * Entries meant as named ones, read as such (and refused when malformed), never as a plain
 * full-access key: any with `sha256:` in it (any case), and `<x>/<y>/<64 hex>` (the prefix
 * forgotten). Read as a plain key, such a typo would make the configuration line itself (a
 * digest, which configuration may show) a key with every scope.
 */
const meantAsNamed = (entry: string) => /sha256:/i.test(entry) || /^[^/]*\/[^/]*\/[0-9a-f]{64}$/i.test(entry);

const fileSchema = z.strictObject({
  keys: z.array(
    z.strictObject({
      name: z.string().regex(apiKeyNamePattern, "must be 1-40 letters, digits, '_', '.' or '-'"),
      scopes: z.array(z.string().regex(scopePattern, "must be a scope name such as users:read, or *")).min(1),
      sha256: z.string().regex(digestPattern, "must be the 64 hex digits of the key's SHA-256"),
    }),
  ),
});

/** The SHA-256 of a key, lower-case hex: what configuration holds instead of the key. */
export function digestApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

const toScopes = (scopes: readonly string[]): readonly string[] | "all" =>
  scopes.includes("*") ? "all" : [...new Set(scopes)];

/** Reads one entry of `API_KEYS` (the `index`-th, from 0): a compact named entry or a plain key. */
function parseEntry(entry: string, index: number): ApiKeyEntry | string {
  const compact = compactPattern.exec(entry);
  if (!compact && meantAsNamed(entry))
    return `entry ${index + 1} is not <name>/<scopes>/sha256:<64 hex digits> (pnpm --filter @usersvc/server api-key create prints one)`;
  if (!compact) {
    if (entry.length < 16) return "every key must be at least 16 characters";
    if (/\s/.test(entry)) return `key ${index + 1} has a space in it: a bearer token cannot`;
    return { name: `legacy-${index + 1}`, scopes: "all", sha256: digestApiKey(entry), legacy: true };
  }
  const [, name = "", scopeList = "", digest = ""] = compact;
  const scopes = scopeList.split("+");
  if (!apiKeyNamePattern.test(name))
    return `entry ${index + 1}: the name must be 1-40 letters, digits, '_', '.' or '-'`;
  if (!scopes.every((scope) => scopePattern.test(scope)))
    return `entry ${index + 1} (${name}): scopes are names such as users:read joined by '+', or *`;
  if (!digestPattern.test(digest))
    return `entry ${index + 1} (${name}): the digest must be sha256: and 64 hex digits`;
  return { name, scopes: toScopes(scopes), sha256: digest.toLowerCase(), legacy: false };
}

/** Reads the compact and plain entries of `API_KEYS`. */
function parseApiKeysVariable(value: string | undefined, problems: SettingsProblem[]): ApiKeyEntry[] {
  const keys: ApiKeyEntry[] = [];
  splitList(value).forEach((entry, index) => {
    const parsed = parseEntry(entry, index);
    if (typeof parsed === "string") problems.push({ variable: "API_KEYS", message: parsed });
    else keys.push(parsed);
  });
  return keys;
}

/** Reads `API_KEYS_FILE`: `{ "keys": [{ "name", "scopes": [...], "sha256" }] }`. */
function readApiKeysFile(file: string | undefined, problems: SettingsProblem[]): ApiKeyEntry[] {
  if (file === undefined) return [];
  const problem = (message: string) => {
    problems.push({ variable: "API_KEYS_FILE", message });
    return [];
  };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : "not valid JSON";
    return problem(`cannot read ${file} (${code})`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return problem(`${file}: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data.keys.map((key) => ({
    name: key.name,
    scopes: toScopes(key.scopes),
    sha256: key.sha256.toLowerCase(),
    legacy: false,
  }));
}

/**
 * Every configured API key, from `API_KEYS` (compact named entries and plain keys) and
 * `API_KEYS_FILE`, with the problems found: bad entries, a name or key given twice, none at all.
 */
export function readApiKeys(options: {
  apiKeys: string | undefined;
  file: string | undefined;
  authDisabled: boolean;
}): { keys: ApiKeyEntry[]; problems: SettingsProblem[] } {
  const problems: SettingsProblem[] = [];
  const keys = [
    ...parseApiKeysVariable(options.apiKeys, problems),
    ...readApiKeysFile(options.file, problems),
  ];
  const names = new Set<string>();
  const digests = new Set<string>();
  for (const key of keys) {
    if (names.has(key.name))
      problems.push({ variable: "API_KEYS", message: `the name ${key.name} is given to two keys` });
    if (digests.has(key.sha256))
      problems.push({ variable: "API_KEYS", message: `the key named ${key.name} is configured twice` });
    names.add(key.name);
    digests.add(key.sha256);
  }
  if (keys.length === 0 && problems.length === 0 && !options.authDisabled) {
    problems.push({
      variable: "API_KEYS",
      message:
        "is required: comma-separated keys that callers send as 'Authorization: Bearer <key>', as <name>/<scopes>/sha256:<digest> entries (pnpm --filter @usersvc/server api-key create) or plain keys, or API_KEYS_FILE (or AUTH_DISABLED=true in development)",
    });
  }
  return { keys, problems };
}

/** Splits a comma-separated list, ignoring blanks around commas. */
function splitList(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}
