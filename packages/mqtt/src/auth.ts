import type { Account, ClientPermissions, NatsServer } from "@nats-ts/core";
import { planAuth } from "@nats-ts/core";
import type { MqttAuthorization } from "./options.js";

/** Who an MQTT client is, once authenticated: its account and what it may publish and subscribe to. */
export interface MqttIdentity {
  account: Account;
  user?: string;
  canPublish(subject: string): boolean;
  canSubscribe(subject: string, queue?: string): boolean;
  /** It has permissions: deliveries on wildcard subscriptions are checked subject by subject. */
  restricted: boolean;
}

const everything = { canPublish: () => true, canSubscribe: () => true, restricted: false };

function identity(account: Account, user: string | undefined, perms: ClientPermissions | undefined): MqttIdentity {
  if (perms === undefined) return { account, user, ...everything };
  return { account, user, canPublish: (s) => perms.canPublish(s), canSubscribe: (s, q) => perms.canSubscribe(s, q), restricted: true };
}

/** One of the server's users, by name, with its account and permissions. */
function serverUser(server: NatsServer, user: string): MqttIdentity | undefined {
  const entry = planAuth(server.opts).plan.users.get(user);
  if (entry === undefined) return undefined;
  const account = server.lookupAccount(entry.account);
  if (account === undefined) return undefined;
  return identity(account, user, server.compilePermissions({ account: entry.account, user, permissions: entry.permissions }));
}

/**
 * The identity a client authenticated by other means (enhanced authentication) takes: the
 * `mqtt {}` block's own user, or one of the server's users; undefined for an unknown name.
 */
export function mqttIdentityOf(server: NatsServer, mqttAuth: MqttAuthorization | undefined, user: string): MqttIdentity | undefined {
  if (mqttAuth?.user !== undefined && mqttAuth.user !== "") return user === mqttAuth.user ? identity(server.globalAccount, user, undefined) : undefined;
  return serverUser(server, user);
}

/**
 * Checks an MQTT CONNECT's username and password the way Go does for MQTT clients: the `mqtt {}`
 * block's own user/password or token first (they log into the global account), then its
 * no_auth_user for clients without credentials, then the server's users (the password field
 * doubles as a token).
 */
export function authenticateMqtt(
  server: NatsServer,
  mqttAuth: MqttAuthorization | undefined,
  noAuthUser: string | undefined,
  username: string | undefined,
  password: string | undefined,
): MqttIdentity | undefined {
  if (mqttAuth?.user !== undefined && mqttAuth.user !== "") {
    if (username !== mqttAuth.user || (password ?? "") !== (mqttAuth.password ?? "")) return undefined;
    return identity(server.globalAccount, username, undefined);
  }
  if (mqttAuth?.token !== undefined && mqttAuth.token !== "") {
    return password === mqttAuth.token ? identity(server.globalAccount, undefined, undefined) : undefined;
  }
  if (username === undefined && password === undefined && noAuthUser !== undefined && noAuthUser !== "") return serverUser(server, noAuthUser);
  const result = server.authenticator.authenticate(
    {
      verbose: false,
      pedantic: false,
      echo: true,
      headers: true,
      noResponders: false,
      protocol: 1,
      tlsRequired: false,
      name: "",
      lang: "mqtt",
      version: "",
      user: username,
      pass: password,
      authToken: password,
    },
    { connectionType: "MQTT" },
  );
  if (result === undefined) return undefined;
  const account = server.lookupAccount(result.account);
  if (account === undefined) return undefined;
  return identity(account, result.user, server.compilePermissions(result));
}
