import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export type Received = {
  id: string;
  body: string;
  event: { id: string; type: string; data: Record<string, unknown> };
};

/**
 * A webhook consumer on loopback, as a fleet service would write one: plain node:http, every
 * delivery verified with the `standardwebhooks` package before it is accepted (401 if not).
 * `stop()` and `start()` take it down and bring it back on the same port.
 */
export async function startReceiver(secret = () => "") {
  const received: Received[] = [];
  const rejected: string[] = [];
  let port = 0;
  let server: http.Server | null = null;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          const headers = Object.fromEntries(
            Object.entries(req.headers).map(([name, value]) => [name, String(value)]),
          );
          try {
            const event = new Webhook(secret()).verify(body, headers) as Received["event"];
            received.push({ id: headers["webhook-id"] ?? "", body, event });
            res.writeHead(204).end();
          } catch (error) {
            rejected.push(String(error));
            res.writeHead(401).end();
          }
        });
      });
      const listening = server;
      listening.listen(port, "127.0.0.1", () => {
        port = (listening.address() as AddressInfo).port;
        resolve();
      });
    });
  await listen();
  return {
    received,
    rejected,
    url: () => `http://127.0.0.1:${port}/hooks/users`,
    async stop() {
      const current = server;
      server = null;
      if (current) {
        await new Promise<void>((resolve) => {
          current.close(() => resolve());
          current.closeAllConnections();
        });
      }
    },
    start: listen,
    /** Waits until `done(received)` holds (deliveries are asynchronous). */
    async waitFor(done: (received: Received[]) => boolean, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!done(received)) {
        if (Date.now() > deadline)
          throw new Error(`receiver: condition not met; got ${received.map((r) => r.event.type).join(", ")}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async [Symbol.asyncDispose]() {
      await this.stop();
    },
  };
}
