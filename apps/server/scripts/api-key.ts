/**
 * `pnpm --filter @usersvc/server api-key create --name billing --scopes users:read[,auth]`:
 * mints an API key. Prints the key once (it is stored nowhere) and the configuration that
 * admits it: an `API_KEYS` entry `<name>/<scopes>/sha256:<digest>` and the same as an
 * `API_KEYS_FILE` object. Scopes: users:read, users:write, auth, admin, or * for all. Needs
 * no database and no settings. Exit code 0, or 1 with the mistake on stderr.
 */
import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { apiKeyNamePattern, digestApiKey, readApiKeys } from "@usersvc/config";
import { apiScopes } from "../src/trpc";

export type MintedApiKey = {
  /** The key the caller sends as `Authorization: Bearer <key>`; shown once. */
  key: string;
  /** The `API_KEYS` entry that admits it. */
  entry: string;
  /** The same as an object of `API_KEYS_FILE`'s `keys`. */
  fileEntry: { name: string; scopes: string[]; sha256: string };
};

/** Makes a key (`usk_` + 32 random bytes, base64url) and its configuration; throws on a bad name or scope. */
export function mintApiKey(options: { name: string; scopes: readonly string[] }): MintedApiKey {
  // Checked first: a comma would split the entry (its first part a plain, full-access key).
  if (!apiKeyNamePattern.test(options.name))
    throw new Error(
      "--name: must be 1-40 letters, digits, '_', '.' or '-' (starting with a letter or digit)",
    );
  const scopes = [...new Set(options.scopes.map((scope) => scope.trim()).filter(Boolean))];
  const known = new Set<string>([...apiScopes, "*"]);
  const unknown = scopes.filter((scope) => !known.has(scope));
  if (scopes.length === 0) throw new Error(`--scopes is required: some of ${apiScopes.join(", ")}, or *`);
  if (unknown.length > 0)
    throw new Error(`unknown scope ${unknown.join(", ")}: use ${apiScopes.join(", ")}, or *`);
  const key = `usk_${randomBytes(32).toString("base64url")}`;
  const sha256 = digestApiKey(key);
  const entry = `${options.name}/${scopes.join("+")}/sha256:${sha256}`;
  // The configuration's own parser checks the name (and everything else) as the server will.
  const read = readApiKeys({ apiKeys: entry, file: undefined, authDisabled: false });
  const problem = read.problems[0];
  if (problem) throw new Error(problem.message.replace(/^entry 1(?: \([^)]*\))?: /, "--name: "));
  // The entry must admit exactly this key, named: never a plain key beside or instead of it.
  if (read.keys.length !== 1 || read.keys[0]?.legacy !== false || read.keys[0].sha256 !== sha256)
    throw new Error(`--name: the entry ${entry} would not be read as one named key`);
  return { key, entry, fileEntry: { name: options.name, scopes, sha256 } };
}

function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { name: { type: "string" }, scopes: { type: "string" } },
    allowPositionals: true,
  });
  if (positionals[0] !== "create" || values.name === undefined) {
    process.stderr.write("usage: api-key create --name <caller> --scopes <scope>[,<scope>...]\n");
    return 1;
  }
  let minted: MintedApiKey;
  try {
    minted = mintApiKey({ name: values.name, scopes: (values.scopes ?? "").split(/[,+]/) });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  process.stdout.write(
    [
      `API key "${values.name}" (scopes: ${minted.fileEntry.scopes.join(", ")}). Shown only now: hand it to its caller.`,
      "",
      `  ${minted.key}`,
      "",
      "Admit it with this entry in API_KEYS (comma-separated with the others):",
      "",
      `  ${minted.entry}`,
      "",
      'or this object in the "keys" list of API_KEYS_FILE:',
      "",
      `  ${JSON.stringify(minted.fileEntry)}`,
      "",
    ].join("\n"),
  );
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href)
  process.exitCode = main(process.argv.slice(2));
