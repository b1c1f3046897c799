import { type BaseEmailVars, type EmailKindDefinition, emailKinds } from "./kinds";
import type { OutboxStore } from "./outbox-store";
import { type EmailTemplates, loadEmailTemplates } from "./templates";

/** An email to queue: its kind, its template's variables, whom it is about and what it announces. */
export type QueuedEmail<Vars extends BaseEmailVars> = {
  kind: EmailKindDefinition<string, Vars>;
  vars: Vars;
  /** The user's locale (BCP 47); none: the default locale. */
  locale?: string | null | undefined;
  userId: string;
  /** What the message announces (e.g. a code id): the kind's send-time rule compares it. */
  ref: string;
};

/**
 * How use cases send email: rendered now, stored in the outbox (sealed at rest), delivered
 * by the worker, which every successful queuing wakes.
 */
export interface EmailOutbox {
  /** Queues an email for a change already written. */
  queue<Vars extends BaseEmailVars>(email: QueuedEmail<Vars>): Promise<void>;
  /**
   * Queues an email, then runs `write`, the change it announces. When the write throws or
   * answers null/false, the email is discarded, so no email is lost for a change that
   * happened and none goes out for one that did not. (Were the discard to fail too, the
   * kinds with a send-time rule, the codes, drop it; a notice would still go out.)
   *
   * A write that throws may still have landed (the connection dropped before the answer):
   * `readBack` then reads what is stored and answers the write's result if it landed, null
   * if not. A landed write keeps its email and succeeds; only one that did not is undone.
   */
  queueWith<Vars extends BaseEmailVars, T>(
    email: QueuedEmail<Vars>,
    write: () => Promise<T>,
    readBack?: () => Promise<T | null>,
  ): Promise<T>;
  /** Removes a user's queued email (of some kinds, or all when the user is deleted). */
  discardForUser(userId: string, kinds?: readonly Pick<EmailKindDefinition, "kind">[]): Promise<void>;
  /** Calls `listener` after each successful queuing (the worker's wake-up). */
  onQueued(listener: () => void): void;
}

let builtin: EmailTemplates | undefined;
/** The templates we ship, English by default (what tests and tools use without settings). */
export const builtinEmailTemplates = () => {
  builtin ??= loadEmailTemplates({ kinds: emailKinds });
  return builtin;
};

export function createEmailOutbox(
  store: Pick<OutboxStore, "enqueue" | "discard" | "discardForUser">,
  templates: EmailTemplates = builtinEmailTemplates(),
): EmailOutbox {
  const listeners: (() => void)[] = [];
  const wake = () => {
    for (const listener of listeners) listener();
  };
  const enqueue = <Vars extends BaseEmailVars>({ kind, vars, userId, ref, locale }: QueuedEmail<Vars>) =>
    store.enqueue({
      userId,
      kind: kind.kind,
      ref,
      email: { to: vars.to, ...templates.render(kind.kind, vars, locale) },
    });
  return {
    async queue(email) {
      await enqueue(email);
      wake();
    },
    async queueWith(email, write, readBack) {
      const id = await enqueue(email);
      let result: Awaited<ReturnType<typeof write>>;
      try {
        result = await write();
      } catch (error) {
        const landed = readBack ? await readBack().catch(() => null) : null;
        if (landed === null) {
          await store.discard(id).catch(() => {});
          throw error;
        }
        result = landed;
      }
      if (result === null || result === false) await store.discard(id).catch(() => {});
      else wake();
      return result;
    },
    discardForUser: (userId, kinds) =>
      store.discardForUser(
        userId,
        kinds?.map((k) => k.kind),
      ),
    onQueued(listener) {
      listeners.push(listener);
    },
  };
}
