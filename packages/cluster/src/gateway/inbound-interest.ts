import { subjectIsSubsetMatch } from "@nats-ts/wire";
import type { GatewayConnection } from "./connection.js";
import { gatewayTuning } from "./tuning.js";
import type { InterestMode } from "./outbound-interest.js";

/** Gateway INFO commands (Go's gatewayCmd*). */
export const GATEWAY_CMD_GOSSIP = 1;
export const GATEWAY_CMD_ALL_SUBS_START = 2;
export const GATEWAY_CMD_ALL_SUBS_COMPLETE = 3;

interface AccountState {
  mode: InterestMode;
  /** Subjects we sent RS- for (optimistic mode). */
  noInterest: Set<string> | undefined;
}

/** `A-` was sent for the account. */
const ACCOUNT_UNSUBSCRIBED = "A-";

/** Plain subjects with interest in an account (the cluster's interest). */
export type PlainInterest = (account: string) => string[];

/**
 * What one inbound gateway connection has told the remote cluster about our interest (Go's
 * insie): RS- and A- in optimistic mode when its messages find nobody here, or every
 * subscription once the account is interest-only. The remote sends on its outbound connection,
 * which is this inbound one.
 */
export class InboundInterest {
  private readonly accounts = new Map<string, AccountState | typeof ACCOUNT_UNSUBSCRIBED>();

  constructor(
    private readonly conn: GatewayConnection,
    private readonly ourName: string,
    private readonly plainInterest: PlainInterest,
  ) {}

  /** Per-account modes for /gatewayz. */
  modes(): { name: string; mode: InterestMode; noInterestCount: number }[] {
    return [...this.accounts].map(([name, e]) =>
      e === ACCOUNT_UNSUBSCRIBED
        ? { name, mode: "Optimistic" as const, noInterestCount: 0 }
        : { name, mode: e.mode, noInterestCount: e.noInterest?.size ?? 0 },
    );
  }

  /** A message arrived for an account nobody here uses: A- (once). */
  noAccountInterest(account: string): void {
    if (this.accounts.get(account) === ACCOUNT_UNSUBSCRIBED) return;
    this.accounts.set(account, ACCOUNT_UNSUBSCRIBED);
    this.conn.send(`A- ${account}\r\n`);
  }

  /**
   * A message arrived on a subject nobody here subscribes to: RS- (once per subject), or past
   * the threshold a switch of the account to interest-only; A- when the account has no
   * subscription at all.
   */
  noSubjectInterest(account: string, subject: string, accountHasSubs: boolean): void {
    if (!accountHasSubs) return this.noAccountInterest(account);
    let e = this.accounts.get(account);
    if (e === undefined || e === ACCOUNT_UNSUBSCRIBED) {
      this.accounts.set(account, (e = { mode: "Optimistic", noInterest: new Set() }));
    }
    const ni = e.noInterest;
    if (ni === undefined || ni.has(subject)) return;
    if (ni.size >= gatewayTuning.maxNoInterestBeforeSwitch) {
      this.sendAllSubscriptions(account, e);
      return;
    }
    ni.add(subject);
    this.conn.send(`RS- ${account} ${subject}\r\n`);
  }

  /** The first or last subscription on a plain subject in this cluster. */
  plainChanged(account: string, subject: string, added: boolean): void {
    const e = this.accounts.get(account);
    if (e === undefined) return;
    if (e === ACCOUNT_UNSUBSCRIBED) {
      if (!added) return;
      this.accounts.delete(account);
      this.conn.send(`A+ ${account}\r\n`);
      return;
    }
    const ni = e.noInterest;
    if (ni !== undefined) {
      if (!added) return;
      let cleared = false;
      if (subject.includes("*") || subject.includes(">")) {
        for (const s of ni) if (subjectIsSubsetMatch(s, subject) && ni.delete(s)) cleared = true;
      } else {
        cleared = ni.delete(subject);
      }
      if (cleared) this.conn.send(`RS+ ${account} ${subject}\r\n`);
      return;
    }
    if (e.mode === "Interest-Only") this.conn.send(`${added ? "RS+" : "RS-"} ${account} ${subject}\r\n`);
  }

  /** The first or last queue subscription on a subject and queue: always told. */
  queueChanged(account: string, subject: string, queue: string, added: boolean): void {
    if (added && this.accounts.get(account) === ACCOUNT_UNSUBSCRIBED) this.accounts.delete(account);
    this.conn.send(added ? `RS+ ${account} ${subject} ${queue} 1\r\n` : `RS- ${account} ${subject} ${queue}\r\n`);
  }

  /** Go's switchAccountToInterestMode for this connection. */
  switchToInterestOnly(account: string): void {
    let e = this.accounts.get(account);
    if (e === undefined || e === ACCOUNT_UNSUBSCRIBED) {
      this.accounts.set(account, (e = { mode: "Optimistic", noInterest: new Set() }));
    }
    if (e.mode === "Optimistic") this.sendAllSubscriptions(account, e);
  }

  private sendAllSubscriptions(account: string, e: AccountState): void {
    e.noInterest = undefined;
    e.mode = "Transitioning";
    this.conn.log.debug(`${this.conn.label} - Gateway "${this.conn.name}": switching account "${account}" to Interest-Only mode`);
    this.conn.send(commandInfo(this.ourName, GATEWAY_CMD_ALL_SUBS_START, account));
    let protos = "";
    for (const subject of this.plainInterest(account)) protos += `RS+ ${account} ${subject}\r\n`;
    if (protos !== "") this.conn.send(protos);
    this.conn.send(commandInfo(this.ourName, GATEWAY_CMD_ALL_SUBS_COMPLETE, account));
    e.mode = "Interest-Only";
  }
}

/** The INFO carrying a gateway command, shaped like Go's (its empty Info fields included). */
export function commandInfo(gateway: string, cmd: number, account: string): string {
  const info = {
    server_id: "",
    server_name: "",
    version: "",
    proto: 0,
    go: "",
    host: "",
    port: 0,
    headers: false,
    max_payload: 0,
    gateway,
    gateway_cmd: cmd,
    gateway_cmd_payload: Buffer.from(account).toString("base64"),
  };
  return `INFO ${JSON.stringify(info)}\r\n`;
}
