import { describe, expect, it } from "vitest";
import { clientNetwork } from "./client-ip";

describe("clientNetwork", () => {
  it("keeps an IPv4 address, and reads an IPv4-mapped IPv6 address as IPv4", () => {
    expect(clientNetwork("203.0.113.7")).toBe("203.0.113.7");
    expect(clientNetwork("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(clientNetwork("::FFFF:cb00:7107")).toBe("203.0.113.7");
    expect(clientNetwork("203.0.113.7:5555")).toBe("203.0.113.7");
  });

  it("throttles every address of one IPv6 /64 as one client, and other /64s apart", () => {
    const one = clientNetwork("2001:db8:1:2::1");
    expect(one).toBe("2001:db8:1:2::/64");
    for (const address of [
      "2001:db8:1:2:ffff:ffff:ffff:ffff",
      "2001:0DB8:0001:0002:abcd::9",
      "[2001:db8:1:2::5]:443",
    ])
      expect(clientNetwork(address)).toBe(one);
    expect(clientNetwork("2001:db8:1:3::1")).not.toBe(one);
    expect(clientNetwork("::1")).toBe("::/64");
  });

  it("uses anything else as given, bounded", () => {
    expect(clientNetwork("unknown")).toBe("unknown");
    expect(clientNetwork("x".repeat(500))).toHaveLength(100);
  });
});
