import { decodeCursor, encodeCursor } from "../profile/list-users";
import type { AuditEvent, AuditStore } from "./audit-store";
import type { AuditEventPage, AuditEventView, ListEventsInput } from "./schemas";

export type ListEvents = (input: ListEventsInput) => Promise<AuditEventPage>;

/** The API's view of a stored event. */
export function toAuditEventView(event: AuditEvent): AuditEventView {
  return {
    id: event.id,
    type: event.type,
    user_id: event.userId,
    actor: event.actor,
    client_ip: event.clientIp,
    request_id: event.requestId,
    details: event.details,
    timestamp: event.timestamp.toISOString(),
  };
}

/** The audit trail, newest first, keyset-paged like the user list; filtered by user, type, time. */
export function createListEvents(deps: { events: Pick<AuditStore, "list"> }): ListEvents {
  return async (input) => {
    const after = input.cursor ? decodeCursor(input.cursor) : undefined;
    const records = await deps.events.list({
      limit: input.limit,
      after: after ? { timestamp: after.createdAt, id: after.id } : undefined,
      userId: input.user_id,
      type: input.type,
      from: input.from ? new Date(input.from) : undefined,
      to: input.to ? new Date(input.to) : undefined,
    });
    const page = records.slice(0, input.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toAuditEventView),
      next_cursor: records.length > input.limit && last ? encodeCursor(last.timestamp, last.id) : null,
    };
  };
}
