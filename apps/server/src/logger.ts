import type { IncomingMessage, ServerResponse } from "node:http";
import pino, { type Logger } from "pino";

export type { Logger };

/** JSON logs (to stdout, or `destination`); pretty lines in development. Secrets are redacted. */
export function createLogger(options: {
  level: string;
  pretty: boolean;
  destination?: pino.DestinationStream;
}): Logger {
  const config: pino.LoggerOptions = {
    level: options.level,
    redact: {
      paths: ["req.headers.authorization", "req.headers.cookie", "*.password", "*.secret", "*.token"],
      censor: "[redacted]",
    },
    ...(options.pretty
      ? {
          transport: {
            target: "pino-pretty",
            options: { translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" },
          },
        }
      : {}),
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}

/** What an SDK's version header looks like (`@usersvc/sdk/1.2.3`); anything else is not logged. */
const sdkPattern = /^@usersvc\/sdk\/[0-9A-Za-z.+-]{1,40}$/;

/**
 * One log line per request, with its id (from `genReqId`, also set as `req.id`), path (no
 * query: query strings carry identifiers, e.g. emails, that logs need not keep), status and
 * duration; 5xx at error level. The line pino-http would write, without what it builds per
 * request whether or not the line is written (two child loggers with their bindings
 * serialised, arrays of loggers, three listeners): at LOG_LEVEL=warn a request costs a
 * level check.
 * `apiKeyNameOf` adds the caller's key name (never the key) to the line as `apiKeyName`.
 */
export function createHttpLogger(
  logger: Logger,
  genReqId: (req: IncomingMessage, res: ServerResponse) => string,
  apiKeyNameOf?: (req: IncomingMessage) => string | undefined,
) {
  return (req: IncomingMessage & { id?: string; originalUrl?: string }, res: ServerResponse): void => {
    const started = Date.now();
    const id = genReqId(req, res);
    req.id = id;
    const done = (error?: Error) => {
      res.off("finish", done);
      res.off("close", done);
      res.off("error", done);
      const failed = error !== undefined || res.statusCode >= 500;
      const level = failed ? "error" : "info";
      if (!logger.isLevelEnabled(level)) return;
      const apiKeyName = apiKeyNameOf?.(req);
      // `sdk`: the version of @usersvc/sdk that sent it (its X-Usersvc-Sdk header), so an
      // operator sees which SDK versions still call the service.
      const sdk = req.headers["x-usersvc-sdk"];
      const line = {
        req: {
          id,
          method: req.method,
          url: (req.originalUrl ?? req.url ?? "/").split("?", 1)[0],
          ...(typeof sdk === "string" && sdkPattern.test(sdk) ? { sdk } : {}),
        },
        ...(apiKeyName === undefined ? {} : { apiKeyName }),
        res: { statusCode: res.statusCode },
        responseTime: Date.now() - started,
        ...(failed ? { err: error ?? new Error(`failed with status code ${res.statusCode}`) } : {}),
      };
      logger[level](line, failed ? "request errored" : "request completed");
    };
    res.once("finish", done);
    res.once("close", done);
    res.once("error", done);
  };
}
