import { startLocalDatabase, startLocalMailServer } from "@usersvc/local-stack";
import type { TestProject } from "vitest/node";

import type {} from "./harness"; // declares the provided "stack"

/** Starts one FerretDB (or mongod) and one Mailpit for the whole integration run. */
export default async function setup(project: TestProject) {
  const log = (line: string) => process.stderr.write(`[stack] ${line}\n`);
  const db = await startLocalDatabase(log);
  const mail = await startLocalMailServer(log).catch(async (error: unknown) => {
    await db.stop();
    throw error;
  });
  project.provide("stack", {
    mongoUri: db.uri,
    smtpHost: mail.smtpHost,
    smtpPort: mail.smtpPort,
    mailpitUrl: mail.webUrl,
  });
  return async () => {
    await Promise.all([db.stop(), mail.stop()]);
  };
}
