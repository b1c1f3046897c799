import { rootCertificates } from "node:tls";
import nodemailer from "nodemailer";

/** An email ready to send. */
export type EmailMessage = { to: string; subject: string; text: string; html: string };

/** Port: sends one email or throws. */
export interface Mailer {
  send(message: EmailMessage): Promise<void>;
  close(): void;
}

export type SmtpOptions = {
  host: string;
  port: number;
  /** STARTTLS required after connecting (MAIL_USE_TLS); without it, used when offered. */
  useTls: boolean;
  /** TLS from the first byte (MAIL_USE_SSL). */
  useSsl: boolean;
  auth: { user: string; pass: string } | null;
  defaultSender: string;
  timeoutMs: number;
  /** PEM certificates to trust besides the system's (a private CA, a self-signed server). */
  tlsCa?: string | null;
};

/**
 * The nodemailer (SMTP) adapter of the mailer port, with a small connection pool. TLS is
 * never switched off: STARTTLS is used whenever the server offers it (required with
 * `useTls`), and the server's certificate is always verified (against `tlsCa` too).
 */
export function createSmtpMailer(options: SmtpOptions): Mailer {
  const transport = nodemailer.createTransport({
    host: options.host,
    port: options.port,
    secure: options.useSsl,
    requireTLS: options.useTls,
    tls: {
      rejectUnauthorized: true,
      minVersion: "TLSv1.2",
      // A `ca` replaces Node's bundled roots: keep them beside the extra certificates.
      ...(options.tlsCa ? { ca: [...rootCertificates, options.tlsCa] } : {}),
    },
    ...(options.auth ? { auth: options.auth } : {}),
    pool: true,
    maxConnections: 3,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
  });
  return {
    async send(message) {
      await transport.sendMail({ from: options.defaultSender, ...message });
    },
    close: () => transport.close(),
  };
}
