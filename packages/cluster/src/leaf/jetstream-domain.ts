import { SubjectMappings, type Account, type NatsServer } from "@nats-ts/core";
import { DENY_CLIENT_JS } from "./constants.js";
import type { LeafConnection } from "./connection.js";
import { jetStreamSettings } from "./info.js";

/** What never crosses a system account leaf connection when JetStream is not extended (Go's denyAllJs). */
const DENY_ALL_JS = ["$JSC.>", "$NRG.>", ...DENY_CLIENT_JS];

/** Mapping sources added to each account for its JetStream domain (announced to leaf nodes). */
const addedSources = new WeakMap<Account, string[]>();

/** Go's generateJSMappingTable: `$JS.<domain>.API...` subjects answered by this server's JetStream. */
export function jetStreamDomainMappings(domain: string): [string, string][] {
  const to: [string, string][] = [
    ["INFO", "$JS.API.INFO"],
    ["STREAM.>", "$JS.API.STREAM.>"],
    ["CONSUMER.>", "$JS.API.CONSUMER.>"],
    ["DIRECT.>", "$JS.API.DIRECT.>"],
    ["META.>", "$JS.API.META.>"],
    ["SERVER.>", "$JS.API.SERVER.>"],
    ["ACCOUNT.>", "$JS.API.ACCOUNT.>"],
    ["$KV.>", "$KV.>"],
    ["$OBJ.>", "$OBJ.>"],
  ];
  return to.map(([suffix, dest]) => [`$JS.${domain}.API.${suffix}`, dest]);
}

/** The `$JS.<domain>.API` sources this module mapped in the account. */
export function jetStreamMappingSources(account: Account): readonly string[] {
  return addedSources.get(account) ?? [];
}

/**
 * What Go's addLeafNodeConnection does for JetStream: the JetStream API of an ordinary account
 * never crosses a leaf connection (each side answers its own), the system account only when
 * both sides are in the same domain; with a domain, `$JS.<domain>.API.>` is mapped to this
 * server's API so that the other side reaches it by domain, and requests for our own domain
 * never leave through a connection to another domain.
 */
export function applyJetStreamDomain(server: NatsServer, c: LeafConnection, account: Account): void {
  const { enabled, domain } = jetStreamSettings(server);
  const system = server.systemAccount;
  const log = server.log;
  let blockOutgoing = false;
  if (domain !== c.remoteDomain || (!enabled && domain === "")) {
    if (account === system) {
      log.info(`${c.label} - System account connected from ${c.remoteCluster === "" ? c.remoteServer : `${c.remoteServer}/${c.remoteCluster}`}`);
      log.info(`${c.label} - JetStream not extended, domains differ`);
      c.perms.mergeDeny("both", DENY_ALL_JS);
    } else {
      log.info(`${c.label} - JetStream using domains: local ${JSON.stringify(domain)}, remote ${JSON.stringify(c.remoteDomain)}`);
      c.perms.mergeDeny("both", DENY_CLIENT_JS);
    }
    blockOutgoing = true;
  } else if (account !== system) {
    log.debug(`${c.label} - Adding deny [${DENY_CLIENT_JS.join(" ")}] for account ${JSON.stringify(account.name)}`);
    c.perms.mergeDeny("both", DENY_CLIENT_JS);
  }
  if (domain === "" || !enabled) return;
  if (account !== system && !addedSources.has(account)) {
    const mappings = (account.mappings ??= new SubjectMappings());
    const added: string[] = [];
    for (const [src, dest] of jetStreamDomainMappings(domain)) {
      mappings.add(src, [{ destination: dest, weight: 100 }]);
      added.push(src);
      log.debug(`${c.label} - Adding JetStream Domain Mapping ${JSON.stringify(src)} -> ${dest} to account ${JSON.stringify(account.name)}`);
    }
    addedSources.set(account, added);
  }
  if (blockOutgoing) {
    const src = `$JS.${domain}.API.>`;
    c.perms.mergeDeny("publish", [src]);
    log.debug(`${c.label} - Adding deny ${JSON.stringify(src)} for outgoing messages to account ${JSON.stringify(account.name)}`);
  }
}
