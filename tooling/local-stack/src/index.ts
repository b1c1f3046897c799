export { createTestCertificate, type TestCertificate } from "./certificate";
export { type LocalDatabase, startLocalDatabase } from "./database";
export { type LocalMailServer, type LocalMailTls, startLocalMailServer } from "./mail";
export { createMailpitClient, type MailpitClient, type MailpitMessage } from "./mailpit-client";
export { freePort } from "./process";
export { ensureTool, repoRoot, toolsBin } from "./tools";
