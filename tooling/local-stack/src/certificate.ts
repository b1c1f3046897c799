import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { trackTempDir } from "./process";

/** A throw-away self-signed certificate and its key, as PEM files. */
export type TestCertificate = { certFile: string; keyFile: string; pem: string };

/**
 * Makes a self-signed P-256 certificate valid for a day for `127.0.0.1` and `localhost`
 * (with `openssl`, which Node cannot replace: it has no X.509 writer). Its directory is
 * removed when the process exits.
 */
export function createTestCertificate(): TestCertificate {
  const dir = mkdtempSync(path.join(os.tmpdir(), "users-cert-"));
  trackTempDir(dir);
  const certFile = path.join(dir, "cert.pem");
  const keyFile = path.join(dir, "key.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-keyout",
      keyFile,
      "-out",
      certFile,
    ],
    { stdio: "pipe" },
  );
  return { certFile, keyFile, pem: readFileSync(certFile, "utf8") };
}
