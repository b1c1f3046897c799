import type { PasskeyRecord } from "../ports";
import type { Passkey } from "./schemas";

/** A stored passkey as the API shows it: never its public key or counter. */
export function toPasskey(record: PasskeyRecord): Passkey {
  return {
    id: record.id,
    name: record.name,
    created_at: record.created_at.toISOString(),
    last_used_at: record.last_used_at?.toISOString() ?? null,
    transports: record.transports,
    device_type: record.device_type,
    backed_up: record.backed_up,
  };
}
