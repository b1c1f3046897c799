import { type Collection, MongoClient, ObjectId } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalDatabase, startLocalDatabase } from "../src";

// The pushdowns our FerretDB patches add (../patches) must never change what a query
// matches: MongoDB's answers, with and without an index on the field.
describe("local database: lookups by _id and by field equality", () => {
  let db: LocalDatabase;
  let client: MongoClient;
  beforeAll(async () => {
    db = await startLocalDatabase();
    client = await new MongoClient(db.uri).connect();
  });
  afterAll(async () => {
    await client?.close();
    await db?.stop();
  });

  const seed = async (name: string, indexed: boolean) => {
    const collection = client.db("patches").collection(name);
    if (indexed) await collection.createIndex({ k: 1 });
    await collection.insertMany([
      { n: 1, k: "x" },
      { n: 2, k: ["a", "x"] },
      { n: 3, k: "y" },
      { n: 4, k: ["y", "z"] },
      { n: 5, k: "X" },
      { n: 6, other: "x" },
      { n: 7, k: 'quote"d' },
      { n: 8, k: "é" },
      { n: 9, k: "a<b&c" },
      { n: 10, k: { x: 1 } },
      { n: 11, k: null },
      { n: 12, k: "x " },
    ]);
    return collection;
  };
  const numbers = async (collection: Collection, filter: Record<string, unknown>) =>
    (await collection.find(filter).toArray()).map((doc) => doc.n).sort((a, b) => a - b);

  for (const indexed of [true, false]) {
    it(`matches a string or an array holding it, like MongoDB (${indexed ? "indexed" : "no index"})`, async () => {
      const collection = await seed(`equality_${indexed}`, indexed);
      expect(await numbers(collection, { k: "x" })).toEqual([1, 2]);
      expect(await numbers(collection, { k: "y" })).toEqual([3, 4]);
      expect(await numbers(collection, { k: "X" })).toEqual([5]);
      expect(await numbers(collection, { k: "x " })).toEqual([12]);
      expect(await numbers(collection, { k: "nothing" })).toEqual([]);
      // Values that are not pushed down still match.
      expect(await numbers(collection, { k: 'quote"d' })).toEqual([7]);
      expect(await numbers(collection, { k: "é" })).toEqual([8]);
      expect(await numbers(collection, { k: "a<b&c" })).toEqual([9]);
      expect(await numbers(collection, { other: "x" })).toEqual([6]);
      expect(await collection.findOne({ k: "x" }, { sort: { n: -1 } })).toMatchObject({ n: 2 });
      expect(await collection.countDocuments({ k: "x" })).toBe(2); // an aggregation with $match
      expect(await collection.distinct("n", { k: "y" })).toEqual([3, 4]);
    });
  }

  it("matches fields whose names SQLite could read otherwise (row id aliases, paths, its columns)", async () => {
    const collection = client.db("patches").collection("names");
    const names = ["rowid", "ROWID", "oid", "_rowid_", "[0]", "[a]", "_ferretdb_sjson", "a b", "123", "it's"];
    await collection.insertMany(
      names.flatMap((name, n) => [
        { n, [name]: "x" },
        { n, [name]: ["x"] },
      ]),
    );
    for (const [n, name] of names.entries()) {
      expect(await collection.countDocuments({ [name]: "x" }), name).toBe(2);
      expect((await collection.find({ [name]: "x" }).toArray()).map((doc) => doc.n)).toEqual([n, n]);
    }
  });

  it("updates and deletes by a field equality", async () => {
    const collection = await seed("writes", true);
    await collection.updateMany({ k: "x" }, { $set: { seen: true } });
    expect(await numbers(collection, { seen: true })).toEqual([1, 2]);
    await collection.deleteMany({ k: "y" });
    expect(await numbers(collection, { k: "y" })).toEqual([]);
    expect(await collection.countDocuments()).toBe(10);
  });

  it("answers a lookup by _id or by an indexed field from the index", async () => {
    if (db.kind !== "ferretdb") return; // mongod plans its own way
    const collection = await seed("plans", true);
    const _id = new ObjectId();
    await collection.insertOne({ _id, n: 13, k: "w" });
    const plan = async (filter: Record<string, unknown>) =>
      JSON.stringify(await collection.find(filter).explain());
    expect(await plan({ _id })).toMatch(/USING INDEX/);
    expect(await plan({ k: "w" })).toMatch(/USING INDEX/);
    expect(await plan({ n: 13 })).not.toMatch(/USING INDEX/);
    expect(await collection.findOne({ _id })).toMatchObject({ n: 13 });
  });
});
