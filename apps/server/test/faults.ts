/**
 * Fault injection for integration tests: wraps the ports the container builds (users,
 * claims, outbox, resetTokens, passkeys) so that a chosen call fails once, either instead of running
 * ("before": nothing was written) or after it ran ("after": written, but the caller sees an
 * error, as when a connection drops before the acknowledgement). The error looks like a
 * driver network error, so the service answers it as an outage (503).
 */
import type { PortName } from "../src/container";

export type FaultMode = "before" | "after";

type Plan = { mode: FaultMode; when: (args: unknown[]) => boolean };

/** What a dropped connection looks like to the service (see isDatabaseUnavailable). */
export class InjectedFault extends Error {
  override readonly name = "MongoNetworkError";
  constructor(readonly target: string) {
    super(`injected fault in ${target}`);
  }
}

export type FaultInjector = ReturnType<typeof createFaultInjector>;

export function createFaultInjector() {
  const plans = new Map<string, Plan[]>();
  const fired: string[] = [];
  const take = (target: string, args: unknown[]) => {
    const queue = plans.get(target) ?? [];
    const index = queue.findIndex((plan) => plan.when(args));
    return index < 0 ? undefined : queue.splice(index, 1)[0];
  };
  return {
    /** The next call of `port.method` (whose arguments satisfy `when`) fails once. */
    failNext(
      target: `${PortName}.${string}`,
      mode: FaultMode,
      when: (args: unknown[]) => boolean = () => true,
    ) {
      plans.set(target, [...(plans.get(target) ?? []), { mode, when }]);
    },
    /** The faults that fired, in order (a test checks its fault really happened). */
    fired: () => [...fired],
    decorate<T extends object>(name: PortName, port: T): T {
      return new Proxy(port, {
        get(target, property, receiver) {
          const value: unknown = Reflect.get(target, property, receiver);
          if (typeof value !== "function") return value;
          const key = `${name}.${String(property)}`;
          return (...args: unknown[]) => {
            const plan = take(key, args);
            if (!plan) return value.apply(target, args);
            fired.push(key);
            if (plan.mode === "before") return Promise.reject(new InjectedFault(key));
            return Promise.resolve(value.apply(target, args)).then(() => {
              throw new InjectedFault(key);
            });
          };
        },
      });
    },
  };
}
