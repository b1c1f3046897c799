import { emailKinds } from "./kinds";
import type { EmailTemplates, RenderedEmail } from "./templates";

/** One kind rendered with its sample variables: what a preview page shows. */
export type EmailPreview = RenderedEmail & { kind: string; locale: string; vars: object };

/**
 * Every kind rendered with its sample variables in a locale (with the usual fallback):
 * the rendering API a development preview (`GET /api/dev/emails`, not built yet) calls.
 */
export function previewEmails(templates: EmailTemplates, locale?: string | null): EmailPreview[] {
  const used = templates.resolveLocale(locale);
  return emailKinds.map(({ kind, sample }) => ({
    kind,
    locale: used,
    vars: sample,
    ...templates.render(kind, sample, used),
  }));
}
