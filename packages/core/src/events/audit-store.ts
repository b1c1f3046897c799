import type { EventType, SecurityEventInput } from "./catalogue";

/** One recorded security event: what happened, to whom, by which caller, when. */
export type AuditEvent = {
  /** 24 hex digits (an ObjectId): the webhook-id of its deliveries too. */
  id: string;
  type: EventType;
  userId: string | null;
  /** The API key's name that made the call (never the key); null when unknown. */
  actor: string | null;
  /** The end user's IP, only when a trusted proxy gave it; null otherwise. */
  clientIp: string | null;
  requestId: string | null;
  details: NonNullable<SecurityEventInput["details"]>;
  timestamp: Date;
};

export type AuditQuery = {
  limit: number;
  /** Keyset paging: events strictly older than this (timestamp, then id). */
  after?: { timestamp: Date; id: string } | undefined;
  userId?: string | undefined;
  type?: EventType | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
};

/** Port: the audit trail (persistence/audit-repository.ts for MongoDB). */
export interface AuditStore {
  /** A fresh event id (time-ordered within a process). */
  newId(): string;
  /** Stores an event; an id stored before (a retried insert that had landed) is not an error. */
  insert(event: AuditEvent): Promise<void>;
  /** Stores several events; ids stored before are skipped, the others stored. */
  insertMany(events: readonly AuditEvent[]): Promise<void>;
  /** Newest first (timestamp, then id); up to `limit + 1` so the caller knows if more exist. */
  list(query: AuditQuery): Promise<AuditEvent[]>;
  /** Events not yet turned into webhook deliveries, oldest first. */
  pendingFanout(limit: number): Promise<AuditEvent[]>;
  /** Marks events as fanned out (their deliveries exist). */
  markFannedOut(ids: readonly string[]): Promise<void>;
  /** Deletes events that happened before `before`; returns how many. */
  purgeBefore(before: Date): Promise<number>;
}
