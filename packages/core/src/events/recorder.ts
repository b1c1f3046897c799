import type { AuditEvent, AuditStore } from "./audit-store";
import type { SecurityEventInput } from "./catalogue";

/** Port of the use cases: reports a security event once the action it describes is complete. */
export interface SecurityEvents {
  /**
   * Records the event. Never rejects: an event the database does not take at once is kept
   * in memory and retried in the background (same id, so a retry of an insert that had
   * landed adds nothing), so the action's answer never depends on the audit trail.
   */
  record(input: SecurityEventInput): Promise<void>;
  /** Records several events in one write (a batch's), in order; never rejects either. */
  recordAll(inputs: readonly SecurityEventInput[]): Promise<void>;
}

/** Who asked, as the server knows it when the event is recorded. */
export type EventContext = { actor: string | null; clientIp: string | null; requestId: string | null };

export type SecurityEventRecorder = SecurityEvents & {
  /** Events not stored yet (waiting for a retry). */
  unrecorded(): number;
  /** Tries the waiting events once more now (at shutdown); resolves when that try ends. */
  flush(): Promise<void>;
  /** Calls `listener` after each stored event (the webhook fan-out wakes up). */
  onRecorded(listener: () => void): void;
};

export type SecurityEventRecorderOptions = {
  store: Pick<AuditStore, "insert" | "insertMany">;
  /** The request's actor, client IP and request id (AsyncLocalStorage on the server). */
  context: () => EventContext;
  newId: () => string;
  retry: { baseMs: number; maxMs: number };
  /** Waiting events beyond this are dropped (reported through `onError`), oldest first. */
  maxWaiting?: number;
  now?: () => Date;
  onError?: (error: unknown, event: AuditEvent, dropped: boolean) => void;
};

/**
 * Builds events (id, time, request context) and stores them. The id and time are fixed when
 * the action completes, so a retried event keeps its place in the user's order.
 */
export function createSecurityEventRecorder(options: SecurityEventRecorderOptions): SecurityEventRecorder {
  const now = options.now ?? (() => new Date());
  const maxWaiting = options.maxWaiting ?? 10_000;
  const waiting: { event: AuditEvent; tries: number }[] = [];
  const listeners: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;

  const stored = () => {
    for (const listener of listeners) listener();
  };
  const schedule = () => {
    if (timer || waiting.length === 0) return;
    const tries = Math.min(...waiting.map((w) => w.tries));
    const delay = Math.min(options.retry.maxMs, options.retry.baseMs * 2 ** Math.max(0, tries - 1));
    timer = setTimeout(() => {
      timer = undefined;
      void retryWaiting().finally(schedule);
    }, delay);
    timer.unref();
  };
  const retryWaiting = async () => {
    for (const entry of waiting.splice(0)) {
      try {
        await options.store.insert(entry.event);
        stored();
      } catch (error) {
        entry.tries += 1;
        waiting.push(entry);
        options.onError?.(error, entry.event, false);
      }
    }
  };

  const build = (input: SecurityEventInput, context: EventContext): AuditEvent => ({
    id: options.newId(),
    type: input.type,
    userId: input.userId,
    actor: context.actor,
    clientIp: context.clientIp,
    requestId: context.requestId,
    details: input.details ?? {},
    timestamp: now(),
  });
  const store = async (events: AuditEvent[]) => {
    try {
      if (events.length === 1 && events[0]) await options.store.insert(events[0]);
      else await options.store.insertMany(events);
      stored();
    } catch (error) {
      for (const event of events) {
        waiting.push({ event, tries: 1 });
        options.onError?.(error, event, false);
      }
      while (waiting.length > maxWaiting) {
        const dropped = waiting.shift();
        if (dropped) options.onError?.(error, dropped.event, true);
      }
      schedule();
    }
  };

  return {
    record: (input) => store([build(input, options.context())]),
    async recordAll(inputs) {
      if (inputs.length === 0) return;
      const context = options.context();
      await store(inputs.map((input) => build(input, context)));
    },
    unrecorded: () => waiting.length,
    async flush() {
      clearTimeout(timer);
      timer = undefined;
      await retryWaiting();
      schedule();
    },
    onRecorded(listener) {
      listeners.push(listener);
    },
  };
}
