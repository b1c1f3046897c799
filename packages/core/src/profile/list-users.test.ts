import { describe, expect, it } from "vitest";
import { createFakes, domainErrorOf, seedUser } from "../../test/fakes";
import type { User } from "../users/schemas";
import { createListUsers, decodeCursor, encodeCursor } from "./list-users";
import type { ListUsersInput } from "./schemas";

const base = new Date("2030-01-01T00:00:00Z").getTime();

async function setup() {
  const f = createFakes();
  const list = createListUsers({ users: f.users });
  const at = (minutes: number) => new Date(base + minutes * 60_000);
  const seeds = [
    { username: "alice", first_name: "Alice", last_name: "Martin", createdAt: at(1) },
    { username: "bob", first_name: "Bob", last_name: "Alvarez", createdAt: at(2), is_active: false },
    { username: "carol", first_name: "Carol", last_name: "Smith", createdAt: at(3), role: "admin" as const },
    // three created in the same millisecond: paging must neither skip nor repeat them
    { username: "dave", first_name: "Dave", last_name: "Jones", createdAt: at(4) },
    { username: "erin", first_name: "Erin", last_name: "Brown", createdAt: at(4), is_active: false },
    { username: "frank", first_name: "Frank", last_name: "Allen", createdAt: at(4) },
    {
      username: "grace",
      first_name: "Grace",
      last_name: "Lee",
      createdAt: at(5),
      email: "g.lee@Example.com",
    },
  ];
  for (const seed of seeds) await seedUser(f, seed);
  const input = (overrides: Partial<ListUsersInput> = {}): ListUsersInput => ({ limit: 20, ...overrides });
  /** Every page from the first, following next_cursor. */
  const walk = async (overrides: Partial<ListUsersInput>) => {
    const pages: User[][] = [];
    let cursor: string | undefined;
    do {
      const page = await list(input({ ...overrides, cursor }));
      pages.push(page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor && pages.length <= seeds.length);
    return pages;
  };
  return { f, list, seeds, input, walk };
}

const names = (users: User[]) => users.map((u) => u.username);

describe("listUsers", () => {
  it("lists newest first, as public views", async () => {
    const { list, input, seeds } = await setup();
    const { items, next_cursor } = await list(input());
    expect(items).toHaveLength(seeds.length);
    expect(next_cursor).toBeNull();
    const times = items.map((u) => Date.parse(u.created_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(names(items.slice(0, 1))).toEqual(["grace"]);
    expect(names(items.slice(-1))).toEqual(["alice"]);
    for (const item of items) expect(item).not.toHaveProperty("password_hash");
  });

  it("pages with cursors through every user exactly once, in the same order", async () => {
    const { list, input, walk, seeds } = await setup();
    const all = names((await list(input())).items);
    for (const limit of [1, 2, 3]) {
      const pages = await walk({ limit });
      expect(pages).toHaveLength(Math.ceil(seeds.length / limit));
      for (const page of pages) expect(page.length).toBeLessThanOrEqual(limit);
      expect(names(pages.flat())).toEqual(all);
    }
  });

  it("ends with a null cursor when the last page is exactly full", async () => {
    const { list, input, seeds } = await setup();
    const first = await list(input({ limit: seeds.length - 1 }));
    expect(first.next_cursor).not.toBeNull();
    const last = await list(input({ limit: 1, cursor: first.next_cursor ?? undefined }));
    expect(last.items).toHaveLength(1);
    expect(last.next_cursor).toBeNull();
  });

  it("filters by active state, role and a case-insensitive prefix of any name or the email", async () => {
    const { list, input, walk } = await setup();
    const sorted = (users: User[]) => names(users).sort();
    expect(sorted((await list(input({ is_active: "false" }))).items)).toEqual(["bob", "erin"]);
    expect(sorted((await list(input({ is_active: "true" }))).items)).toEqual([
      "alice",
      "carol",
      "dave",
      "frank",
      "grace",
    ]);
    expect(sorted((await list(input({ role: "admin" }))).items)).toEqual(["carol"]);
    // "al": alice (username), bob (Alvarez), frank (Allen)
    expect(sorted((await list(input({ q: "AL" }))).items)).toEqual(["alice", "bob", "frank"]);
    expect(sorted((await list(input({ q: "g.lee@" }))).items)).toEqual(["grace"]);
    expect(sorted((await list(input({ q: "al", is_active: "true" }))).items)).toEqual(["alice", "frank"]);
    // filters hold across pages
    expect(names((await walk({ q: "al", limit: 1 })).flat()).sort()).toEqual(["alice", "bob", "frank"]);
  });

  it("refuses a cursor this API did not hand out with VALIDATION_ERROR on cursor", async () => {
    const { f, list, input } = await setup();
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const id = f.users.newId();
    const invalid = [
      "not a cursor",
      encode({ createdAt: base, id }),
      encode([String(base), id]),
      encode([base, "not-an-object-id"]),
      encode([1e20, id]), // not a date
      encode([base]),
    ];
    for (const cursor of invalid) {
      const error = await domainErrorOf(list(input({ cursor })));
      expect(error.code).toBe("VALIDATION_ERROR");
      expect(error.issues.map((i) => i.path)).toEqual(["cursor"]);
    }
  });

  it("reads back the cursors it makes", () => {
    const createdAt = new Date(base);
    const id = "0123456789abcdef01234567";
    expect(decodeCursor(encodeCursor(createdAt, id))).toEqual({ createdAt, id });
  });
});
