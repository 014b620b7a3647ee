import { Sublist } from "./sublist/sublist.js";
import { Subscription } from "./sublist/subscription.js";
import type { SubjectMappings } from "./accounts/mappings.js";
import type { AccountPlan } from "./accounts/plan.js";
import { ResponseRouter, ServiceImportSink, StreamImportSink, type AccountRouter } from "./accounts/imports.js";

/** Name of the account every client lands in when no accounts are configured. */
export const GLOBAL_ACCOUNT = "$G";
/** Default name of the system account. */
export const SYSTEM_ACCOUNT = "$SYS";

/** Per-account limits; 0 means no limit. */
export interface AccountLimitValues {
  maxConnections: number;
  maxSubscriptions: number;
  maxPayload: number;
}

/**
 * A subject namespace: its own sublist, so clients of different accounts never see each other's
 * messages. Imports, exports, mappings and limits attach here.
 */
export class Account {
  readonly sublist = new Sublist();
  /** Client connections currently bound to this account. */
  connections = 0;
  /** Subject mappings applied to every publish in this account; undefined when there are none. */
  mappings: SubjectMappings | undefined;
  limits: AccountLimitValues = { maxConnections: 0, maxSubscriptions: 0, maxPayload: 0 };
  /** What this account exports and imports, as configured (Go's account exports/imports). */
  plan: AccountPlan | undefined;
  /** Subscriptions placed (here or in exporters' sublists) to carry this account's imports. */
  private importSubs: { sublist: Sublist; sub: Subscription }[] = [];
  private responses: ResponseRouter | undefined;

  constructor(readonly name: string) {}

  /** The exporter side of service imports, created on first use. */
  responseRouter(router: AccountRouter): ResponseRouter {
    return (this.responses ??= new ResponseRouter(this, router));
  }

  /** Applies a configuration: mappings and limits now, imports once every account exists. */
  configure(plan: AccountPlan): void {
    this.plan = plan;
    this.mappings = plan.mappings;
    this.limits = { ...plan.limits };
  }

  /**
   * (Re)wires this account's imports: stream imports listen in the exporter's sublist, service
   * imports in this account's own.
   */
  wireImports(lookup: (name: string) => Account | undefined, router: AccountRouter): void {
    this.unwireImports();
    const plan = this.plan;
    if (plan === undefined) return;
    for (const imp of plan.streamImports) {
      const exporter = lookup(imp.from);
      if (exporter === undefined) continue;
      const sub = new Subscription(new StreamImportSink(router, this, imp), imp.subject, `import:${imp.from}:${imp.subject}`);
      exporter.sublist.insert(sub);
      this.importSubs.push({ sublist: exporter.sublist, sub });
    }
    for (const imp of plan.serviceImports) {
      const exporter = lookup(imp.from);
      if (exporter === undefined) continue;
      const sub = new Subscription(new ServiceImportSink(router, this, exporter, imp), imp.to, `service:${imp.from}:${imp.subject}`);
      this.sublist.insert(sub);
      this.importSubs.push({ sublist: this.sublist, sub });
    }
  }

  /** Removes every import subscription and pending service responses (reload, shutdown). */
  unwireImports(): void {
    for (const { sublist, sub } of this.importSubs) {
      sub.closed = true;
      sublist.remove(sub);
    }
    this.importSubs = [];
  }

  close(): void {
    this.unwireImports();
    this.responses?.close();
    this.responses = undefined;
  }
}
