import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  canConnect,
  freePort,
  removeTempDir,
  type Service,
  startService,
  stopService,
  trackTempDir,
  waitUntilReady,
} from "./process";
import { ensureTool, which } from "./tools";

/** A local database server on loopback with a throw-away data folder. */
export type LocalDatabase = {
  uri: string;
  port: number;
  kind: "ferretdb" | "mongod";
  /** Stops the server, keeping its data (see `start`). */
  pause(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  stop(): Promise<void>;
  /** The server's process id while it runs (benchmarks read its CPU time). */
  pid(): number | undefined;
  [Symbol.asyncDispose](): Promise<void>;
};

/**
 * Starts a `mongod` when one is on PATH, otherwise FerretDB v1.24.2 on SQLite (telemetry
 * disabled), on a free loopback port.
 */
export async function startLocalDatabase(log: (line: string) => void = () => {}): Promise<LocalDatabase> {
  const mongod = await which("mongod");
  const kind = mongod ? "mongod" : "ferretdb";
  const binary = mongod ?? (await ensureTool("ferretdb", log));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `users-${kind}-`));
  trackTempDir(dataDir);
  const port = await freePort();
  const debugPort = await freePort();
  const args =
    kind === "mongod"
      ? ["--dbpath", dataDir, "--port", String(port), "--bind_ip", "127.0.0.1", "--quiet"]
      : [
          "--handler=sqlite",
          `--sqlite-url=file:${dataDir}/`,
          `--listen-addr=127.0.0.1:${port}`,
          `--debug-addr=127.0.0.1:${debugPort}`,
          `--state-dir=${dataDir}`,
          "--telemetry=disable",
          "--log-level=warn",
        ];
  let service: Service | undefined;
  const start = async () => {
    service = startService(binary, args, { DO_NOT_TRACK: "1", FERRETDB_TELEMETRY: "disable" });
    await waitUntilReady(service, () => canConnect(port), kind);
  };
  const pause = async () => {
    if (service) await stopService(service);
  };
  const stop = async () => {
    await pause();
    removeTempDir(dataDir);
  };
  await start();
  return {
    uri: `mongodb://127.0.0.1:${port}/`,
    port,
    kind,
    pause,
    start,
    stop,
    pid: () => service?.child.pid,
    [Symbol.asyncDispose]: stop,
  };
}
