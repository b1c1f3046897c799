import { describe, expect, it } from "vitest";
import { addressProblem, urlProblem } from "./target-policy";

const strict = { allowPrivateTargets: false, allowHttp: false };

describe("webhook target policy", () => {
  it("refuses every address that is not globally routable unicast, IPv4-mapped forms included", () => {
    for (const address of [
      "127.0.0.1",
      "10.0.0.8",
      "172.16.5.4",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "::1",
      "fe80::1",
      "fd00:ec2::254",
      "::ffff:127.0.0.1",
      "::ffff:10.0.0.1",
    ]) {
      expect(addressProblem(address, strict), address).toMatch(/refused/);
    }
    expect(addressProblem("93.184.216.34", strict)).toBeNull();
    expect(addressProblem("2606:4700::1111", strict)).toBeNull();
    expect(addressProblem("127.0.0.1", { allowPrivateTargets: true })).toBeNull();
  });

  it("wants https (unless allowed), no credentials, no private address literal; names are checked when resolved", () => {
    expect(urlProblem("http://hooks.example.com/x", strict)).toMatch(/https/);
    expect(urlProblem("http://hooks.example.com/x", { ...strict, allowHttp: true })).toBeNull();
    expect(urlProblem("ftp://hooks.example.com/x", { ...strict, allowHttp: true })).toMatch(/https/);
    expect(urlProblem("https://user:pw@hooks.example.com/x", strict)).toMatch(/credentials/);
    expect(urlProblem("https://10.0.0.1/x", strict)).toMatch(/private/);
    expect(urlProblem("https://[::1]/x", strict)).toMatch(/loopback/);
    expect(urlProblem("https://0x7f.1/x", strict)).toMatch(/loopback/); // the URL parser makes it 127.0.0.1
    expect(urlProblem("https://localhost/x", strict)).toBeNull();
    expect(urlProblem("not a url", strict)).toMatch(/not a URL/);
  });
});
