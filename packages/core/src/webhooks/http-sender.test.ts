import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createHttpWebhookSender } from "./http-sender";

const original = http.globalAgent;
afterEach(() => {
  http.globalAgent = original;
});

describe("webhook HTTP sender", () => {
  it("connects through its own agent, never the process-wide one (proxy variables, pooled sockets other code opened)", async () => {
    const received: string[] = [];
    const server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on("end", () => {
        received.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      // A process-wide agent that is not to be used: one configured from HTTP_PROXY (Node's
      // NODE_USE_ENV_PROXY) would take the request to the proxy, past the address check.
      const used: string[] = [];
      http.globalAgent = new http.Agent({ keepAlive: false });
      const createConnection = http.globalAgent.createConnection.bind(http.globalAgent);
      http.globalAgent.createConnection = (...args: Parameters<typeof createConnection>) => {
        used.push("global agent");
        return createConnection(...args);
      };
      const send = createHttpWebhookSender({
        allowPrivateTargets: true,
        allowHttp: true,
        timeoutMs: 2_000,
        userAgent: "test",
      });
      await expect(
        send({ url: `http://127.0.0.1:${port}/hook`, headers: {}, body: '{"a":1}' }),
      ).resolves.toMatchObject({ statusCode: 204 });
      expect(received).toEqual(['{"a":1}']);
      expect(used).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
