import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";

/**
 * Email templates as files: `<dir>/<locale>/<kind>.{subject,text,html}.hbs` plus an optional
 * `<dir>/<locale>/layout.html.hbs` (the HTML bodies' `{{#> layout}}`). Handlebars: logic-less,
 * so an operator's template cannot run code; `{{x}}` is HTML-escaped in HTML bodies; strict
 * mode makes a reference to a variable the kind does not provide an error.
 */

/** Where the templates we ship live: next to this file in the sources, next to the server's bundle (dist/email-templates) in a build. */
export function builtinTemplatesDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, "templates"), path.join(here, "email-templates")];
  const found = candidates.find((dir) => existsSync(path.join(dir, "en", "activation.subject.hbs")));
  if (!found) throw new Error(`email templates not found (looked in ${candidates.join(", ")})`);
  return found;
}

export const templateParts = ["subject", "text", "html"] as const;
export type TemplatePart = (typeof templateParts)[number];

/** A rendered email, without its recipient. */
export type RenderedEmail = { subject: string; text: string; html: string };

/** A kind as the templates need it: its name and sample variables (used to check templates at start). */
export type TemplateKind = { kind: string; sample: Record<string, unknown> };

export interface EmailTemplates {
  /** The locales templates exist for (ours and the operator's), the default first. */
  readonly locales: readonly string[];
  readonly defaultLocale: string;
  /** Renders a kind for a locale (falling back to its language, then to the default locale). */
  render(kind: string, vars: object, locale?: string | null): RenderedEmail;
  /** The locale actually used for a requested one. */
  resolveLocale(locale?: string | null): string;
}

/** Canonical BCP 47 form of a locale, or undefined when it is not one. */
export function canonicalLocale(locale: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(locale)[0];
  } catch {
    return undefined;
  }
}

/** Removes CR, LF and every other control character from a subject: it cannot add a header. */
export function safeSubject(subject: string): string {
  return subject
    .replace(/\p{Cc}+/gu, " ")
    .replace(/\s{2,}/g, " ")
    .trim();
}

/** A template error naming the file and line. */
export class EmailTemplateError extends Error {
  constructor(file: string, line: number | undefined, message: string) {
    super(`email template ${file}${line ? `:${line}` : ""}: ${message}`);
    this.name = "EmailTemplateError";
  }
}

type Compiled = (vars: object) => string;

const lineOf = (error: unknown): number | undefined => {
  const message = error instanceof Error ? error.message : String(error);
  const lineNumber = (error as { lineNumber?: number }).lineNumber;
  if (typeof lineNumber === "number") return lineNumber;
  const match = /line (\d+)|- (\d+):\d+/.exec(message);
  return match ? Number(match[1] ?? match[2]) : undefined;
};

/** Handlebars' message on one line: a parse error's first and last lines (what it expected). */
const firstLine = (error: unknown) => {
  const lines = (error instanceof Error ? error.message : String(error)).split("\n").filter(Boolean);
  const text = lines.length > 1 ? `${lines[0]} ${lines[lines.length - 1]}` : (lines[0] ?? "");
  return text.replace(" in [object Object]", "");
};

const localeDirs = (dir: string | undefined) =>
  dir && existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && canonicalLocale(entry.name) === entry.name)
        .map((entry) => entry.name)
    : [];

/**
 * Loads, compiles and checks every template: each kind is rendered in each locale with its
 * sample variables, so a syntax error or an unknown variable stops the start (an
 * `EmailTemplateError` naming the file and line), not an email at 3 a.m.
 */
export function loadEmailTemplates(options: {
  kinds: readonly TemplateKind[];
  /** The operator's folder (`EMAIL_TEMPLATES_DIR`): its files override ours per kind and locale. */
  overrideDir?: string;
  defaultLocale?: string;
  builtinDir?: string;
}): EmailTemplates {
  const builtinDir = options.builtinDir ?? builtinTemplatesDir();
  const overrideDir = options.overrideDir;
  if (overrideDir !== undefined && !existsSync(overrideDir))
    throw new Error(`EMAIL_TEMPLATES_DIR ${overrideDir} does not exist`);
  const defaultLocale = canonicalLocale(options.defaultLocale ?? "en");
  if (!defaultLocale)
    throw new Error(`the default email locale ${options.defaultLocale} is not a BCP 47 tag`);
  const known = new Set([...localeDirs(builtinDir), ...localeDirs(overrideDir)]);
  if (!known.has(defaultLocale))
    throw new Error(`no email templates for the default locale ${defaultLocale}`);
  const locales = [defaultLocale, ...[...known].filter((l) => l !== defaultLocale).sort()];

  /** The locales tried, in order, for a locale's files. */
  const chain = (locale: string) => {
    const language = locale.split("-")[0] ?? locale;
    return [...new Set([locale, language, defaultLocale, "en"])].filter((l) => known.has(l));
  };
  /** The file for a name in a locale: the operator's first, then ours, along the chain. */
  const find = (locale: string, name: string) => {
    for (const l of chain(locale))
      for (const dir of overrideDir ? [overrideDir, builtinDir] : [builtinDir]) {
        const file = path.join(dir, l, name);
        if (existsSync(file)) return file;
      }
    return undefined;
  };
  const compile = (env: typeof Handlebars, file: string, part: TemplatePart | "layout"): Compiled => {
    const source = readFileSync(file, "utf8");
    let template: HandlebarsTemplateDelegate;
    try {
      template = env.compile(source, { strict: true, noEscape: part === "subject" || part === "text" });
      // Parse now (Handlebars compiles lazily), so a syntax error is caught at start.
      env.precompile(source, { strict: true });
    } catch (error) {
      throw new EmailTemplateError(file, lineOf(error), firstLine(error));
    }
    return (vars) => {
      try {
        return template(vars);
      } catch (error) {
        throw new EmailTemplateError(file, lineOf(error), firstLine(error));
      }
    };
  };

  const table = new Map<string, Map<string, Record<TemplatePart, Compiled>>>();
  for (const locale of locales) {
    const env = Handlebars.create();
    const layout = find(locale, "layout.html.hbs");
    if (layout) {
      const source = readFileSync(layout, "utf8");
      try {
        env.precompile(source, { strict: true });
      } catch (error) {
        throw new EmailTemplateError(layout, lineOf(error), firstLine(error));
      }
      env.registerPartial("layout", source);
    }
    const kinds = new Map<string, Record<TemplatePart, Compiled>>();
    for (const { kind } of options.kinds) {
      const parts = {} as Record<TemplatePart, Compiled>;
      for (const part of templateParts) {
        const file = find(locale, `${kind}.${part}.hbs`);
        if (!file) throw new Error(`no ${part} template for the email kind ${kind} (locale ${locale})`);
        parts[part] = compile(env, file, part);
      }
      kinds.set(kind, parts);
    }
    table.set(locale, kinds);
  }

  const resolveLocale = (locale?: string | null) => {
    const canonical = locale ? canonicalLocale(locale) : undefined;
    if (!canonical) return defaultLocale;
    const language = canonical.split("-")[0] ?? canonical;
    return [canonical, language].find((l) => table.has(l)) ?? defaultLocale;
  };

  const templates: EmailTemplates = {
    locales,
    defaultLocale,
    resolveLocale,
    render(kind, vars, requested) {
      const locale = resolveLocale(requested);
      const parts = table.get(locale)?.get(kind);
      if (!parts) throw new Error(`unknown email kind ${kind}`);
      const subject = safeSubject(parts.subject({ ...vars, locale }));
      return {
        subject,
        text: parts.text({ ...vars, locale }),
        html: parts.html({ ...vars, locale, subject }),
      };
    },
  };
  // Every kind in every locale, with sample variables: a broken template stops the start.
  for (const locale of locales)
    for (const { kind, sample } of options.kinds) templates.render(kind, sample, locale);
  return templates;
}
