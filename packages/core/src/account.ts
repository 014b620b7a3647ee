import { Sublist } from "./sublist/sublist.js";

/** Name of the account every client lands in when no accounts are configured. */
export const GLOBAL_ACCOUNT = "$G";
/** Default name of the system account. */
export const SYSTEM_ACCOUNT = "$SYS";

/**
 * A subject namespace: its own sublist, so clients of different accounts never see each other's
 * messages. Imports, exports, mappings and limits attach here.
 */
export class Account {
  readonly sublist = new Sublist();
  /** Client connections currently bound to this account. */
  connections = 0;

  constructor(readonly name: string) {}
}
