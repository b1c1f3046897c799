import { createPasswordHasher, owaspArgon2id } from "@usersvc/core";
import { MongoClient, ObjectId } from "mongodb";

/**
 * Seeds `count` active users (bench_<i>, password `password`, one argon2 hash computed once)
 * straight into the database; returns their ids and the hash.
 */
export async function seedUsers(uri: string, dbName: string, count: number, password: string) {
  const hash = await createPasswordHasher(owaspArgon2id).hash(password);
  const mongo = await new MongoClient(uri).connect();
  const ids = Array.from({ length: count }, () => new ObjectId());
  await mongo
    .db(dbName)
    .collection("users")
    .insertMany(
      ids.map((_id, i) => ({
        _id,
        username: `bench_${i}`,
        username_key: `bench_${i}`,
        first_name: "Bench",
        first_name_key: "bench",
        last_name: `User${i}`,
        last_name_key: `user${i}`,
        email: `bench.${i}@example.com`,
        email_key: `bench.${i}@example.com`,
        password_hash: hash,
        gender: "Other",
        role: "user",
        is_active: true,
        mfa_enabled: false,
        activation: null,
        created_at: new Date(),
        updated_at: new Date(),
      })),
    );
  await mongo.close();
  return { hash, ids };
}
