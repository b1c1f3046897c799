import ipaddr from "ipaddr.js";

export type TargetPolicy = {
  /** Loopback, private, link-local, CGNAT, unique-local and metadata addresses are allowed (dev, tests). */
  allowPrivateTargets: boolean;
  /** http:// is allowed (never in production). */
  allowHttp: boolean;
};

/**
 * Why a webhook URL may not be used, or null when it may (checked when saved and again
 * before each delivery). Only http(s), no credentials in the URL, https unless allowed.
 */
export function urlProblem(raw: string, policy: TargetPolicy): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "is not a URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must be an https:// URL";
  if (url.protocol === "http:" && !policy.allowHttp) return "must be an https:// URL (http is refused here)";
  if (url.username || url.password) return "must not carry credentials";
  if (url.hash) return "must not have a #fragment";
  const host = url.hostname.replace(/^\[|\]$/g, "");
  // A name is checked when it is resolved, before each delivery (what it resolves to can change).
  return ipaddr.isValid(host) ? addressProblem(host, policy) : null;
}

/**
 * Why an address a target resolved to may not be called, or null. Only globally routable
 * unicast addresses pass: loopback, private (RFC 1918), link-local (cloud metadata at
 * 169.254.169.254), CGNAT (100.64/10), unique-local (fc00::/7), multicast, reserved and
 * the IPv6 forms that embed an IPv4 address are refused unless private targets are allowed.
 */
export function addressProblem(
  address: string,
  policy: Pick<TargetPolicy, "allowPrivateTargets">,
): string | null {
  if (policy.allowPrivateTargets) return null;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return `resolves to ${address}, which is not an address`;
  }
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  const range = parsed.range();
  return range === "unicast" ? null : `resolves to a ${range} address (${address}), which is refused`;
}
