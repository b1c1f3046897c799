import mongoose, { type Connection } from "mongoose";

export type DatabaseOptions = {
  uri: string;
  dbName: string;
  /** Server selection and ping budget: how long a call may wait for an unreachable database. */
  timeoutMs: number;
};

/**
 * Opens a mongoose connection that fails fast instead of buffering commands while the
 * database is away, and reconnects by itself when it returns.
 */
export async function connectDatabase(options: DatabaseOptions): Promise<Connection> {
  const connection = mongoose.createConnection(options.uri, {
    dbName: options.dbName,
    bufferCommands: false,
    autoIndex: false,
    autoCreate: false,
    serverSelectionTimeoutMS: options.timeoutMs,
    connectTimeoutMS: options.timeoutMs,
    socketTimeoutMS: 30_000,
    heartbeatFrequencyMS: 2_000,
    maxPoolSize: 50,
    sanitizeFilter: true,
  });
  await connection.asPromise();
  return connection;
}

/** Resolves when the database answers a ping within `timeoutMs`; rejects otherwise. */
export async function pingDatabase(connection: Connection, timeoutMs: number): Promise<void> {
  const db = connection.db;
  if (!db) throw new Error("database connection is not open");
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`ping timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([db.command({ ping: 1 }), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
