import { lookup as dnsLookup } from "node:dns";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { addressProblem, type TargetPolicy, urlProblem } from "./target-policy";

export type WebhookRequest = { url: string; headers: Record<string, string>; body: string };
export type WebhookResponse = { statusCode: number; durationMs: number };

/** A delivery that did not get a 2xx: `statusCode` when the target answered, else null. */
export class WebhookSendError extends Error {
  constructor(
    message: string,
    readonly statusCode: number | null,
    readonly durationMs: number | null,
  ) {
    super(message);
  }
}

/** Port: sends one signed delivery; resolves on a 2xx answer, rejects with WebhookSendError. */
export type WebhookSender = (request: WebhookRequest) => Promise<WebhookResponse>;

/**
 * Resolves the host and refuses it when any of its addresses is not allowed; the connection
 * then goes to the address that was checked (no second lookup a rebinding DNS could answer
 * differently).
 */
function checkedLookup(policy: TargetPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, "", 0);
      const list = Array.isArray(addresses) ? addresses : [];
      const refused = list.map((entry) => addressProblem(entry.address, policy)).find((problem) => problem);
      const first = list[0];
      if (refused || !first) {
        const reason = refused ?? "resolves to no address";
        return callback(
          Object.assign(new Error(`target ${hostname} ${reason}`), { code: "ETARGETREFUSED" }),
          "",
          0,
        );
      }
      if (options.all) return callback(null, [first]);
      return callback(null, first.address, first.family);
    });
  };
}

/**
 * The HTTP adapter of webhook delivery: POST with a timeout, no redirects followed, the
 * answer's body ignored (read up to 4 KiB and dropped), targets checked at every send.
 */
export function createHttpWebhookSender(
  options: TargetPolicy & { timeoutMs: number; userAgent: string },
): WebhookSender {
  const lookup = checkedLookup(options);
  return (request) =>
    new Promise<WebhookResponse>((resolve, reject) => {
      const problem = urlProblem(request.url, options);
      if (problem) return reject(new WebhookSendError(`target URL ${problem}`, null, null));
      const url = new URL(request.url);
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      const client = url.protocol === "https:" ? https : http;
      const req = client.request(
        url,
        {
          method: "POST",
          lookup,
          timeout: options.timeoutMs,
          headers: {
            ...request.headers,
            "content-type": "application/json",
            "content-length": String(Buffer.byteLength(request.body)),
            "user-agent": options.userAgent,
          },
        },
        (res) => {
          let read = 0;
          res.on("data", (chunk: Buffer) => {
            read += chunk.length;
            if (read > 4_096) res.destroy();
          });
          const finish = () => {
            const statusCode = res.statusCode ?? 0;
            if (statusCode >= 200 && statusCode < 300) resolve({ statusCode, durationMs: elapsed() });
            else reject(new WebhookSendError(`answered HTTP ${statusCode}`, statusCode, elapsed()));
          };
          res.on("end", finish);
          res.on("close", finish);
          res.on("error", () => finish());
        },
      );
      const deadline = setTimeout(
        () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
      req.on("error", (error) => {
        clearTimeout(deadline);
        reject(new WebhookSendError(error.message, null, elapsed()));
      });
      req.on("close", () => clearTimeout(deadline));
      req.end(request.body);
    });
}
