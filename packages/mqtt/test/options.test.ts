import { NatsServer, parseConf, type ServerOptionsInput } from "@nats-ts/core";
import { describe, expect, test } from "vitest";
import { mqttOptionsFromConf, mqttPlugin, validateMqttOptions, type MqttOptions } from "../src/index.js";

const block = (text: string) => parseConf(text).mqtt;

/** Starts a server with the plugin and returns the start error's message (undefined if it started). */
async function startError(opts: ServerOptionsInput, mqtt: MqttOptions = {}): Promise<string | undefined> {
  const server = new NatsServer({ host: "127.0.0.1", port: 0, ...opts }, { plugins: [mqttPlugin({ host: "127.0.0.1", ...mqtt })] });
  try {
    await server.start();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await server.shutdown();
  }
}

describe("mqtt {} options", () => {
  test("the conf block's errors use Go's words", () => {
    const bad: [string, string][] = [
      ["mqtt: []", "to be a map"],
      ["mqtt: { listen: [] }", "port or host:port"],
      [`mqtt: { port: "abc" }`, "not int64"],
      ["mqtt: { host: 123 }", "not string"],
      ["mqtt: { tls: 123 }", "not map[string]interface {}"],
      ["mqtt: { this_does_not_exist: 123 }", "unknown"],
      ["mqtt: {ack_wait: abc}", "invalid duration"],
      ["mqtt: {max_ack_pending: abc}", "not int64"],
      ["mqtt: {max_ack_pending: 12345678}", "invalid value"],
      ["mqtt: {js_api_timeout: abc}", "invalid duration"],
    ];
    for (const [text, err] of bad) expect(() => mqttOptionsFromConf(block(text)), text).toThrow(err);
  });

  test("the conf block's values, with Go's aliases", () => {
    expect(mqttOptionsFromConf(block("mqtt { listen: 1234 }"))).toEqual({ port: 1234 });
    expect(mqttOptionsFromConf(block(`mqtt { listen: "localhost:1234" }`))).toEqual({ host: "localhost", port: 1234 });
    expect(mqttOptionsFromConf(block(`mqtt { host: "localhost" }`))).toEqual({ host: "localhost" });
    expect(mqttOptionsFromConf(block(`mqtt { no_auth_user: "noauthuser" }`))).toEqual({ noAuthUser: "noauthuser" });
    expect(
      mqttOptionsFromConf(block(`mqtt { authorization { user: "mqttuser", password: "pwd", token: "token", timeout: 2.0 } }`)),
    ).toEqual({ authorization: { user: "mqttuser", password: "pwd", token: "token", timeout: 2 } });
    expect(mqttOptionsFromConf(block("mqtt { ack_wait: \"10s\", max_inflight: 123, js_domain: \"d\", stream_replicas: 3 }"))).toEqual({
      ackWait: 10_000,
      maxAckPending: 123,
      jsDomain: "d",
      streamReplicas: 3,
    });
    expect(mqttOptionsFromConf(block("mqtt { reject_qos2_publish: true, downgrade_qos2_subscribe: true, consumer_memory_storage: true }"))).toEqual({
      rejectQos2Publish: true,
      downgradeQos2Subscribe: true,
      consumerMemoryStorage: true,
    });
  });

  test("TestMQTTValidateOptions: option combinations Go refuses", () => {
    const ctx = { serverName: "s", clustered: false, jetStream: true, users: new Set<string>() };
    expect(validateMqttOptions({ port: 0, ackWait: -1 }, ctx)).toBeUndefined();
    expect(validateMqttOptions({ port: -1, authorization: { user: "b", password: "pwd" } }, { ...ctx, users: new Set(["abc"]) })).toBe(
      "mqtt authentication username not compatible with presence of users/nkeys",
    );
    expect(validateMqttOptions({ port: -1, authorization: { token: "mytoken" } }, { ...ctx, users: new Set(["abc"]) })).toBe(
      "mqtt authentication token not compatible with presence of users/nkeys",
    );
    expect(validateMqttOptions({ port: -1, ackWait: -10_000 }, ctx)).toBe("ack wait must be a positive value");
    expect(validateMqttOptions({ port: -1, jsApiTimeout: -10_000 }, ctx)).toBe("JS API timeout must be a positive value");
  });

  test("TestMQTTNoAuthUserValidation: the mqtt no_auth_user must be a configured user", async () => {
    const users = { authorization: { users: [{ user: "user", password: "pwd" }] }, serverName: "s", jetstream: false as const };
    const js = { ...users, jetstream: {} };
    expect(await startError(js, { port: -1, noAuthUser: "notfound" })).toContain("not present as user");
    expect(await startError({ ...js, noAuthUser: "user" }, { port: -1, noAuthUser: "notfound" })).toContain("not present as user");
  });

  test("TestMQTTStandaloneRequiresJetStream: a standalone server needs JetStream for MQTT", async () => {
    const conf = parseConf(`server_name: mqtt
mqtt { port: -1, tls { cert_file: "./configs/certs/server.pem", key_file: "./configs/certs/key.pem" } }`);
    expect(await startError({ serverName: "mqtt", blocks: { mqtt: conf.mqtt } })).toBe("mqtt requires JetStream to be enabled if running in standalone mode");
  });

  test("TestMQTTServerNameRequired: a clustered server needs server_name, then JetStream", async () => {
    expect(await startError({ blocks: { cluster: { port: -1 } } }, { port: -1 })).toBe("mqtt requires server name to be explicitly set");
    expect(await startError({}, { port: -1 })).toBe("mqtt requires JetStream to be enabled if running in standalone mode");
  });

  test("port 0 leaves the plugin idle", async () => {
    const plugin = mqttPlugin({ port: 0 });
    const server = new NatsServer({ host: "127.0.0.1", port: 0 }, { plugins: [plugin] });
    await server.start();
    expect(plugin.port).toBe(0);
    expect(server.listeners.mqtt).toBeUndefined();
    await server.shutdown();
  });
});
