import { randomBytes } from "node:crypto";
import { generate, generateSecret, generateURI, verify } from "otplib";
import QRCode from "qrcode";

/** Seconds of clock drift accepted either side: one 30 s step. */
const tolerance = 30;

/** A fresh TOTP secret: 20 random bytes (160 bits), base32. */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** The otpauth:// URL authenticator apps read (label = the user's email). */
export function totpUri(input: { issuer: string; label: string; secret: string }): string {
  return generateURI({ issuer: input.issuer, label: input.label, secret: input.secret });
}

/** A PNG data URL of a QR code that encodes `text`. */
export function qrDataUrl(text: string): Promise<string> {
  return QRCode.toDataURL(text, { errorCorrectionLevel: "M", margin: 2, width: 256 });
}

/**
 * The time step a code belongs to when it is valid now (within one step either side) and
 * later than `afterStep`; null otherwise. Replays of a step are refused by the caller.
 */
export async function verifyTotp(input: {
  secret: string;
  code: string;
  afterStep?: number | null;
}): Promise<number | null> {
  try {
    const result = await verify({
      secret: input.secret,
      token: input.code,
      epochTolerance: tolerance,
      ...(input.afterStep == null ? {} : { afterTimeStep: input.afterStep }),
    });
    return result.valid && "timeStep" in result ? result.timeStep : null;
  } catch {
    // otplib throws when afterStep is ahead of this clock (skew between instances): not valid.
    return null;
  }
}

/** The current code of a secret (what an authenticator app shows); for tests and tools. */
export function currentTotp(secret: string, epochSeconds?: number): Promise<string> {
  return generate({ secret, ...(epochSeconds === undefined ? {} : { epoch: epochSeconds }) });
}

const recoveryAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/** 10 recovery codes like `K7QX2-M9PDA` (50 bits each), shown once. */
export function newRecoveryCodes(count = 10): string[] {
  return Array.from({ length: count }, () => {
    const chars = [...randomBytes(10)].map((byte) => recoveryAlphabet[byte % 32]).join("");
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

/** The canonical form of a typed recovery code (case and separators do not matter). */
export function normalizeRecoveryCode(code: string): string {
  return code.toUpperCase().replace(/[^A-Z0-9]/g, "");
}
