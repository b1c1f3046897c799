import type { IncomingMessage, ServerResponse } from "node:http";
import pino, { type Logger } from "pino";
import { pinoHttp } from "pino-http";

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

/**
 * One log line per request, with its id (from `genReqId`), status and duration; 5xx at
 * error level. `apiKeyNameOf` puts the caller's key name (never the key) on the request's
 * logger (`req.log`) and its line as `apiKeyName`.
 */
export function createHttpLogger(
  logger: Logger,
  genReqId: (req: IncomingMessage, res: ServerResponse) => string,
  apiKeyNameOf?: (req: IncomingMessage) => string | undefined,
) {
  return pinoHttp({
    logger,
    genReqId,
    ...(apiKeyNameOf
      ? {
          customProps: (req: IncomingMessage) => {
            const name = apiKeyNameOf(req);
            return name === undefined ? {} : { apiKeyName: name };
          },
        }
      : {}),
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? "error" : "info"),
    serializers: {
      // The path only: query strings carry identifiers (emails) that logs need not keep.
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url.split("?", 1)[0],
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
