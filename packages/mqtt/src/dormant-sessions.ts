import { Deadline } from "./deadline.js";
import type { PersistedSession, SessionStore, StoredWill } from "./session-store.js";

/** What a dormant session's deadlines do. */
export interface DormantActions {
  publishWill(will: StoredWill): void;
  /** The session expired: its will (if still pending), consumers and record go. */
  end(record: PersistedSession): void;
}

/**
 * Persistent sessions found in `$MQTT_sess` at start whose client is not connected and that have
 * a deadline: a delayed will to publish, or a session expiry (MQTT 5.0). Those that expired while
 * the server was down go at once. A session whose record says it had an expiry interval but no
 * deadline was connected when the server stopped: its interval starts now.
 */
export class DormantSessions {
  private readonly deadlines = new Map<string, Deadline[]>();

  constructor(
    private readonly store: SessionStore,
    private readonly actions: DormantActions,
    private readonly now: () => number = Date.now,
  ) {}

  schedule(record: PersistedSession): void {
    const id = record.id;
    let expiresAt = record.expires_at;
    if (expiresAt === undefined && record.expiry_ms !== undefined) {
      expiresAt = this.now() + record.expiry_ms;
      record.expires_at = expiresAt;
      this.store.save(record);
    }
    const list: Deadline[] = [];
    const will = record.will;
    if (will !== undefined && (expiresAt === undefined || will.at < expiresAt)) {
      list.push(
        new Deadline(
          will.at,
          () => {
            record.will = undefined;
            this.actions.publishWill(will);
            this.store.save(record);
          },
          this.now,
        ),
      );
    }
    if (expiresAt !== undefined) {
      list.push(
        new Deadline(
          expiresAt,
          () => {
            this.take(id);
            this.actions.end(record);
          },
          this.now,
        ),
      );
    }
    if (list.length > 0) this.deadlines.set(id, list);
  }

  /** The client is back: what was scheduled for its session is off. */
  take(clientId: string): void {
    for (const d of this.deadlines.get(clientId) ?? []) d.cancel();
    this.deadlines.delete(clientId);
  }

  /** Server shutdown: the deadlines stay in the records for the next start. */
  close(): void {
    for (const id of [...this.deadlines.keys()]) this.take(id);
  }
}
