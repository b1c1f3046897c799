import ipaddr from "ipaddr.js";

/** `[v6]:port` or `v4:port`, as some proxies write a forwarded address. */
const withPort = /^\[([^\]]+)\](?::\d+)?$|^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/;

/**
 * The network one client is throttled as: an IPv4 address as it is, the /64 prefix of an
 * IPv6 address (one subscriber's usual allocation: a client that owns a /64 must not get a
 * fresh throttle per address), an IPv4-mapped IPv6 address as its IPv4. Anything that does
 * not parse as an address is used as given (bounded), so it still has one throttle.
 */
export function clientNetwork(clientIp: string): string {
  const trimmed = clientIp.trim();
  const match = withPort.exec(trimmed);
  const candidate = match ? (match[1] ?? match[2] ?? trimmed) : trimmed;
  if (!ipaddr.isValid(candidate)) return trimmed.slice(0, 100);
  const address = ipaddr.process(candidate);
  if (address.kind() === "ipv4") return address.toString();
  const parts = (address as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toRFC5952String()}/64`;
}
