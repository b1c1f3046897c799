import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  freePort,
  removeTempDir,
  type Service,
  startService,
  stopService,
  trackTempDir,
  waitUntilReady,
} from "./process";
import { ensureTool } from "./tools";

/** A local Mailpit: an SMTP server plus a web inbox and HTTP API, on loopback. */
export type LocalMailServer = {
  smtpHost: string;
  smtpPort: number;
  /** Base URL of the web inbox and of its API (`/api/v1/...`). */
  webUrl: string;
  pause(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
};

/** TLS of the SMTP port: STARTTLS offered with this certificate, required with `requireStartTls`. */
export type LocalMailTls = { certFile: string; keyFile: string; requireStartTls?: boolean };

/**
 * Starts Mailpit v1.33.1 on free loopback ports with a throw-away mailbox; with `tls`, its
 * SMTP port offers STARTTLS (and, with `requireStartTls`, refuses mail sent in clear text).
 */
export async function startLocalMailServer(
  log: (line: string) => void = () => {},
  options: { tls?: LocalMailTls } = {},
): Promise<LocalMailServer> {
  const binary = await ensureTool("mailpit", log);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "users-mailpit-"));
  trackTempDir(dataDir);
  const smtpPort = await freePort();
  const httpPort = await freePort();
  const webUrl = `http://127.0.0.1:${httpPort}`;
  const args = [
    `--smtp=127.0.0.1:${smtpPort}`,
    `--listen=127.0.0.1:${httpPort}`,
    `--database=${path.join(dataDir, "mailpit.db")}`,
    "--disable-version-check",
    "--quiet",
    ...(options.tls
      ? [`--smtp-tls-cert=${options.tls.certFile}`, `--smtp-tls-key=${options.tls.keyFile}`]
      : []),
    ...(options.tls?.requireStartTls ? ["--smtp-require-starttls"] : []),
  ];
  let service: Service | undefined;
  const start = async () => {
    service = startService(binary, args);
    const ready = async () => {
      try {
        return (await fetch(`${webUrl}/readyz`)).ok;
      } catch {
        return false;
      }
    };
    await waitUntilReady(service, ready, "mailpit");
  };
  const pause = async () => {
    if (service) await stopService(service);
  };
  const stop = async () => {
    await pause();
    removeTempDir(dataDir);
  };
  await start();
  return { smtpHost: "127.0.0.1", smtpPort, webUrl, pause, start, stop, [Symbol.asyncDispose]: stop };
}
