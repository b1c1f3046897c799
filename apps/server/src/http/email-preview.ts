import type { ServerResponse } from "node:http";
import { sendJson } from "./respond";

/** One kind rendered with sample variables (core's `previewEmails`). */
export type EmailPreviewItem = { kind: string; locale: string; subject: string; text: string; html: string };

/** Renders every kind with sample data in a locale (with the usual fallback). */
export type EmailPreviewer = (locale: string | null) => EmailPreviewItem[];

/**
 * Development only (never mounted in production): `GET /api/dev/emails?locale=de` lists every
 * kind with its subject and the links to `GET /api/dev/emails/<kind>?locale=de&format=html|text`,
 * which answer the email itself, rendered with sample data, so a designer can iterate on
 * templates in a browser. Returns false for paths it does not serve.
 */
export function serveEmailPreview(options: {
  preview: EmailPreviewer;
  pathname: string;
  query: URLSearchParams;
  res: ServerResponse;
}): boolean {
  const { pathname, query, res } = options;
  const prefix = "/api/dev/emails";
  if (pathname !== prefix && !pathname.startsWith(`${prefix}/`)) return false;
  const locale = query.get("locale");
  const items = options.preview(locale);
  const name = pathname.slice(prefix.length + 1);
  if (name === "") {
    const suffix = locale ? `?locale=${encodeURIComponent(locale)}&` : "?";
    sendJson(res, 200, {
      kinds: items.map((item) => ({
        kind: item.kind,
        locale: item.locale,
        subject: item.subject,
        html: `${prefix}/${item.kind}${suffix}format=html`,
        text: `${prefix}/${item.kind}${suffix}format=text`,
      })),
    });
    return true;
  }
  const item = items.find((candidate) => candidate.kind === name);
  if (!item) return false;
  const asText = query.get("format") === "text";
  res.statusCode = 200;
  res.setHeader("Content-Type", asText ? "text/plain; charset=utf-8" : "text/html; charset=utf-8");
  // Emails style with inline attributes; nothing else may load.
  if (!asText)
    res.setHeader("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
  res.end(asText ? `Subject: ${item.subject}\n\n${item.text}` : item.html);
  return true;
}
