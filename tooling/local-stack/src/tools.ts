import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The repository root (this file lives in tooling/local-stack/src). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** Git-ignored folder where `go install` puts the binaries. */
export const toolsBin = path.join(repoRoot, ".tools", "bin");

const modules = {
  ferretdb: { module: "github.com/FerretDB/FerretDB", version: "v1.24.2", pkg: "./cmd/ferretdb" },
  mailpit: { module: "github.com/axllent/mailpit", version: "v1.33.1", pkg: "." },
} as const;

export type ToolName = keyof typeof modules;

/**
 * Source edits applied to the pinned FerretDB before it is built, each with its reason. A
 * `from` that is not found fails the build, so a version bump cannot silently drop one.
 */
export const ferretdbPatches = [
  {
    // The SQLite backend creates the `_id` index on `_ferretdb_sjson->"_id"` but queries,
    // updates and deletes by `_ferretdb_sjson->'$._id'`. SQLite matches index expressions
    // by their text, so every operation by `_id` scanned the whole table (73 ms for the
    // last of 10,000 users, 0.01 ms through the index). Query with the indexed expression.
    file: "internal/backends/sqlite/metadata/metadata.go",
    from: `IDColumn = DefaultColumn + "->'$._id'"`,
    to: `IDColumn = DefaultColumn + \`->"_id"\``,
  },
  {
    // Only `_id` filters reach SQLite: any other one read and decoded the collection in Go
    // up to the first match (300 ms of CPU per login by username at 10,000 users). Push an
    // equality on one top-level field down too, as a pre-filter FerretDB still checks in Go:
    // the value matches, or the field is an array (JSON text starting with '['), which
    // keeps MongoDB's "an array holding the value" match. Indexes on the field are used.
    // Only plain printable ASCII values (no quote, backslash or HTML-escaped characters) are
    // pushed, whose JSON text is the string between quotes whatever the encoder, and only
    // identifier field names that are not SQLite's row id aliases (`rowid`, `oid`, `_rowid_`,
    // which a double-quoted name resolves to first) nor FerretDB's columns, and cannot be read
    // as a JSON path (`[0]`).
    file: "internal/backends/sqlite/collection.go",
    from: `			args = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}
		}
	}

	q += whereClause`,
    to: `			args = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}
		}
	}

	if whereClause == "" {
		whereClause, args = fieldEqualityWhere(params.Filter)
	}

	q += whereClause`,
  },
  {
    // The same in explain, so that its plan shows what a query really does.
    file: "internal/backends/sqlite/collection.go",
    from: `	orderByClause := prepareOrderByClause(params.Sort)
	sortPushdown := orderByClause != ""`,
    to: `	if !filterPushdown {
		if where, whereArgs := fieldEqualityWhere(params.Filter); where != "" {
			filterPushdown = true
			whereClause, args = where, whereArgs
		}
	}

	orderByClause := prepareOrderByClause(params.Sort)
	sortPushdown := orderByClause != ""`,
  },
  {
    file: "internal/backends/sqlite/collection.go",
    from: "// check interfaces",
    to: String.raw`// fieldEqualityWhere returns a WHERE clause selecting a superset of the documents that
// match filter when it is {field: "plain string"}, or "" when it is not that.
func fieldEqualityWhere(filter *types.Document) (string, []any) {
	if filter.Len() != 1 {
		return "", nil
	}

	key := filter.Keys()[0]
	value, _ := filter.Get(key)

	s, ok := value.(string)
	if !ok || !plainFieldName(key) || !plainJSONText(s) {
		return "", nil
	}

	column := fmt.Sprintf("%s->%q", metadata.DefaultColumn, key)

	return fmt.Sprintf(" WHERE (%[1]s = ? OR (%[1]s >= '[' AND %[1]s < '\\'))", column), []any{"\"" + s + "\""}
}

// plainFieldName reports whether key can be written as _ferretdb_sjson->"key" and mean the
// field: an identifier that is not _id, not one of SQLite's names for the row id (which a
// double-quoted name resolves to first), and not one of FerretDB's own columns.
func plainFieldName(key string) bool {
	if key == "" || key == "_id" || strings.HasPrefix(key, "_ferretdb_") {
		return false
	}

	switch strings.ToLower(key) {
	case "rowid", "oid", "_rowid_":
		return false
	}

	for i := 0; i < len(key); i++ {
		c := key[i]
		letter := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}

	return true
}

// plainJSONText reports whether s is non-empty printable ASCII that every JSON encoder
// writes as itself: no quote, backslash, control or non-ASCII character, and no <, > or &.
func plainJSONText(s string) bool {
	if s == "" {
		return false
	}

	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}

	return true
}

// check interfaces`,
  },
] as const;

/** What a built binary was built from; a different stamp means build again. */
function buildStamp(name: ToolName): string {
  const { module, version } = modules[name];
  const patches = name === "ferretdb" ? ferretdbPatches : [];
  const digest = createHash("sha256").update(JSON.stringify(patches)).digest("hex").slice(0, 12);
  return `${module}@${version} patches:${digest}\n`;
}

/** Returns the path of a pinned Go tool, building it once with `go install` if missing. */
export async function ensureTool(name: ToolName, log: (line: string) => void = () => {}): Promise<string> {
  const binary = path.join(toolsBin, name);
  const stampFile = `${binary}.stamp`;
  const stamp = buildStamp(name);
  if (existsSync(binary) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) return binary;
  mkdirSync(toolsBin, { recursive: true });
  const { module, version, pkg } = modules[name];
  log(`building ${module}@${version} (once; reused from .tools/bin afterwards)`);
  const env = { ...process.env, GOBIN: toolsBin, CGO_ENABLED: "0", GOFLAGS: "-trimpath" };
  if (name === "mailpit") {
    await run("go", ["install", `${module}@${version}`], { env, maxBuffer: 16 * 1024 * 1024 });
    writeFileSync(stampFile, stamp);
    return binary;
  }
  // FerretDB panics at start when built by `go install module@version`: it wants the
  // build/version/version.txt that its release tooling generates. Build the same pinned
  // module from a copy of its source with that file written and our patches applied.
  const { stdout } = await run("go", ["mod", "download", "-json", `${module}@${version}`], { env });
  const source = (JSON.parse(stdout) as { Dir: string }).Dir;
  const work = mkdtempSync(path.join(os.tmpdir(), "ferretdb-src-"));
  try {
    cpSync(source, work, { recursive: true });
    chmodTree(work);
    writeFileSync(path.join(work, "build/version/version.txt"), `${version}\n`);
    for (const patch of ferretdbPatches) {
      const file = path.join(work, patch.file);
      const text = readFileSync(file, "utf8");
      if (text.split(patch.from).length !== 2)
        throw new Error(`FerretDB patch no longer applies to ${patch.file}`);
      writeFileSync(
        file,
        text.replace(patch.from, () => patch.to),
      );
    }
    await run("go", ["build", "-o", binary, pkg], { cwd: work, env, maxBuffer: 16 * 1024 * 1024 });
    writeFileSync(stampFile, stamp);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return binary;
}

/** Module-cache copies are read-only; make the copy writable. */
function chmodTree(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chmodTree(full);
    else chmodSync(full, 0o644);
  }
}

/** Finds an executable on PATH, or returns undefined. */
export async function which(command: string): Promise<string | undefined> {
  try {
    const { stdout } = await run("sh", ["-c", `command -v ${command}`]);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}
