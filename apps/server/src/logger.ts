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

/** What an SDK's version header looks like (`@usersvc/sdk/1.2.3`); anything else is not logged. */
const sdkPattern = /^@usersvc\/sdk\/[0-9A-Za-z.+-]{1,40}$/;

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
      // `sdk`: the version of @usersvc/sdk that sent it (its X-Usersvc-Sdk header), so an
      // operator sees which SDK versions still call the service.
      req: (req: { id: string; method: string; url: string; headers?: Record<string, unknown> }) => {
        const sdk = req.headers?.["x-usersvc-sdk"];
        return {
          id: req.id,
          method: req.method,
          url: req.url.split("?", 1)[0],
          ...(typeof sdk === "string" && sdkPattern.test(sdk) ? { sdk } : {}),
        };
      },
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
