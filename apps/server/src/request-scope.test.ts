import { describe, expect, it } from "vitest";
import type { RequestContext } from "./context";
import { eventContextOf, requestScope } from "./request-scope";

const ctx = (over: Partial<RequestContext> = {}): RequestContext => ({
  requestId: "req-7",
  authorization: "Bearer x",
  clientIp: "198.51.100.4",
  response: {},
  ...over,
});

describe("the request scope of security events", () => {
  it("gives the API key's name as actor (read when the event is recorded), the request id, and the IP only behind a trusted proxy", async () => {
    const request = ctx();
    const behindProxy = eventContextOf({ trustProxy: true });
    const direct = eventContextOf({ trustProxy: false });
    await requestScope.run(request, async () => {
      // The key-name middleware may run after the scope starts: the name is read at record time.
      request.apiKeyName = "billing";
      await Promise.resolve();
      expect(behindProxy()).toEqual({ actor: "billing", clientIp: "198.51.100.4", requestId: "req-7" });
      expect(direct()).toEqual({ actor: "billing", clientIp: null, requestId: "req-7" });
    });
    expect(direct()).toEqual({ actor: null, clientIp: null, requestId: null }); // outside a request
  });
});
