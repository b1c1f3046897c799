/**
 * What a team would write instead of adopting the service, shared by the two peers of the
 * benchmark (Express + mongoose, Fastify + mongoose): a mongoose model of the same `users`
 * collection, the lookup by id with `.lean()` (mongoose's documented way to read documents
 * that are only sent on) and a projection, and the same JSON as the service's user.
 */
import { timingSafeEqual } from "node:crypto";
import mongoose, { type InferSchemaType, Schema } from "mongoose";

const userSchema = new Schema(
  {
    username: { type: String, required: true },
    first_name: String,
    last_name: String,
    email: { type: String, required: true },
    gender: String,
    role: String,
    is_active: Boolean,
    mfa_enabled: Boolean,
    locale: String,
  },
  { collection: "users", timestamps: { createdAt: "created_at", updatedAt: "updated_at" } },
);
type UserDoc = InferSchemaType<typeof userSchema> & {
  _id: mongoose.Types.ObjectId;
  created_at: Date;
  updated_at: Date;
};
const User = mongoose.model("User", userSchema);

export async function connect(): Promise<void> {
  await mongoose.connect(process.env.MONGODB_URI ?? "", {
    dbName: process.env.MONGODB_DB,
    maxPoolSize: 50,
  });
}

/** The caller's API key, as the service takes it (`Authorization: Bearer <key>`). */
const apiKey = Buffer.from(`Bearer ${(process.env.API_KEYS ?? "").split(",")[0] ?? ""}`);
export const authorized = (header: string | undefined): boolean => {
  const given = Buffer.from(header ?? "");
  return given.length === apiKey.length && timingSafeEqual(given, apiKey);
};

export const isObjectId = (id: unknown): id is string => typeof id === "string" && /^[0-9a-f]{24}$/i.test(id);

/** The user as the service answers it, or null. */
export async function findUser(id: string) {
  const doc = await User.findById(id, "-password_hash").lean<UserDoc>().exec();
  if (!doc) return null;
  return {
    id: doc._id.toHexString(),
    username: doc.username,
    first_name: doc.first_name,
    last_name: doc.last_name,
    email: doc.email,
    gender: doc.gender,
    role: doc.role,
    is_active: doc.is_active,
    mfa_enabled: doc.mfa_enabled,
    locale: doc.locale ?? null,
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
  };
}

export const shutdown = () => mongoose.disconnect();
