import type { IncomingMessage } from "node:http";

export type BodyResult =
  | { kind: "none" }
  | { kind: "json"; value: unknown }
  | { kind: "other" }
  | { kind: "too-large" }
  | { kind: "malformed"; message: string };

const isJson = (contentType: string | undefined) =>
  /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(contentType ?? "");

/** True when the declared length is already over the limit (no need to read anything). */
export function declaresTooLarge(req: IncomingMessage, limit: number): boolean {
  const length = Number(req.headers["content-length"] ?? 0);
  return Number.isFinite(length) && length > limit;
}

/**
 * Reads a request body of at most `limit` bytes and parses it when it is JSON. Non-JSON
 * bodies are left to the REST adapter, which answers 415.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  if (declaresTooLarge(req, limit)) return { kind: "too-large" };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) return { kind: "too-large" };
    chunks.push(buffer);
  }
  if (!isJson(req.headers["content-type"])) return size === 0 ? { kind: "none" } : { kind: "other" };
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return { kind: "none" };
  try {
    return { kind: "json", value: JSON.parse(text) };
  } catch (error) {
    return { kind: "malformed", message: error instanceof Error ? error.message : String(error) };
  }
}
