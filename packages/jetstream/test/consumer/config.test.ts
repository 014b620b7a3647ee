import { describe, expect, test } from "vitest";
import {
  applyConsumerDefaults,
  checkConfigUpdate,
  checkConsumerConfig,
  parseConsumerConfig,
  type ConsumerConfigJson,
  type StreamConfigView,
} from "../../src/consumer/config.js";

const stream: StreamConfigView = { name: "TEST", subjects: ["foo.*"], retention: "limits", num_replicas: 1 };

/** Parses, applies defaults and validates like CONSUMER.CREATE does; returns the error JSON or the config. */
function create(raw: Record<string, unknown>, s: StreamConfigView = stream, pedantic = false): { code: number; err_code: number; description: string } | ConsumerConfigJson {
  try {
    const cfg = parseConsumerConfig(raw);
    applyConsumerDefaults(cfg, s, {}, pedantic);
    checkConsumerConfig(cfg, s);
    return cfg;
  } catch (e) {
    return (e as { toJSON(): { code: number; err_code: number; description: string } }).toJSON();
  }
}

const errCode = (r: ReturnType<typeof create>) => ("err_code" in r ? r.err_code : 0);

describe("consumer config", () => {
  test.each([
    ["A", true],
    ["group/consumer=A", true],
    ["", false],
    ["A B", false],
    ["A\tB", false],
    ["group-name-that-is-too-long", false],
    ["\r\n", false],
  ])("TestPriorityGroupNameRegex: %j valid=%s", (group, valid) => {
    const r = create({ name: "c", ack_policy: "explicit", priority_policy: "pinned_client", priority_groups: [group] });
    expect(errCode(r) === 0).toBe(valid);
  });

  test("TestJetStreamConsumerBadCreateErr: push with max waiting names the real problem", () => {
    const r = create({ durable_name: "nowcerr", deliver_subject: "X", max_waiting: 100 });
    expect(r).toEqual({ code: 400, err_code: 10080, description: "consumer in push mode can not set max waiting" });
  });

  test("TestJetStreamConsumerDefaultsFromStream: stream consumer limits fill and bound the config", () => {
    const s: StreamConfigView = { ...stream, consumer_limits: { max_ack_pending: 15, inactive_threshold: 1e9 } };
    const cfg = create({ name: "x", ack_policy: "explicit" }, s) as ConsumerConfigJson;
    expect(cfg.inactive_threshold).toBe(1e9);
    expect(cfg.max_ack_pending).toBe(15);
    expect(errCode(create({ name: "y", max_ack_pending: 30 }, s))).toBe(10121);
    expect(create({ name: "z", inactive_threshold: 2e9 }, s)).toEqual({
      code: 400,
      err_code: 10153,
      description: "consumer inactive threshold exceeds system limit of 1s",
    });
  });

  test("TestJetStreamConsumerUpdateRejectsStorageChange: mem_storage can not change", () => {
    const a = create({ durable_name: "DUR", ack_policy: "explicit" }) as ConsumerConfigJson;
    const b = { ...a, mem_storage: true };
    expect(checkConfigUpdate(a, b, false)?.message).toBe("storage type can not be updated");
  });

  test("update rules: what may not change, with Go's texts", () => {
    const a = create({ durable_name: "D", ack_policy: "explicit", deliver_subject: "in" }) as ConsumerConfigJson;
    expect(checkConfigUpdate(a, { ...a, deliver_policy: "new" }, false)?.message).toBe("deliver policy can not be updated");
    expect(checkConfigUpdate(a, { ...a, ack_policy: "all" }, false)?.message).toBe("ack policy can not be updated");
    expect(checkConfigUpdate(a, { ...a, deliver_subject: undefined }, false)?.message).toBe("can not update push consumer to pull based");
    expect((checkConfigUpdate(a, { ...a, deliver_subject: "in2" }, true) as { errCode?: number }).errCode).toBe(10013);
    expect(checkConfigUpdate(a, { ...a, deliver_subject: "in2" }, false)).toBeUndefined();
    expect(checkConfigUpdate(a, { ...a, description: "changed", max_ack_pending: 5 }, false)).toBeUndefined();
    expect((checkConfigUpdate(a, { ...a, backoff: [1, 2, 3], max_deliver: 2 }, false) as { errCode?: number }).errCode).toBe(10116);
  });

  test("TestJetStreamConsumerPedanticMode: pedantic refuses silently fixed values", () => {
    expect(create({ name: "p", max_deliver: -3 }, stream, true)).toEqual({
      code: 400,
      err_code: 10157,
      description: "pedantic mode: max_deliver must be set to -1",
    });
    expect(errCode(create({ name: "p", max_deliver: -3 }))).toBe(0);
    expect(create({ name: "p", ack_policy: "explicit", ack_wait: 5e9, backoff: [1e9, 2e9] }, stream, true)).toMatchObject({
      description: "pedantic mode: first backoff value has to equal batch AckWait",
    });
  });

  test("start options conflict with deliver policies", () => {
    expect(create({ name: "c", deliver_policy: "all", opt_start_seq: 3 })).toMatchObject({
      err_code: 10094,
      description: "consumer delivery policy is deliver all, but optional start sequence is also set",
    });
    expect(create({ name: "c", deliver_policy: "last_per_subject" })).toMatchObject({
      description: "consumer delivery policy is deliver last per subject, but optional filter subject is not set",
    });
    expect(create({ name: "c", deliver_policy: "by_start_time" })).toMatchObject({
      description: "consumer delivery policy is deliver by start time, but optional start time is not set",
    });
    expect(errCode(create({ name: "c", deliver_policy: "by_start_time", opt_start_time: "2024-01-02T03:04:05.123456789Z" }))).toBe(0);
  });

  test("TestJetStreamConsumerOverlappingSubjects: overlapping filters are refused", () => {
    expect(create({ name: "c", filter_subjects: ["foo.*", "foo.a"] })).toEqual({
      code: 400,
      err_code: 10138,
      description: "consumer subject filters cannot overlap",
    });
    expect(errCode(create({ name: "c", filter_subjects: ["foo.a", "foo.b"] }))).toBe(0);
  });

  test("TestJetStreamConsumerMultipleSubjectsWithEmpty: an empty filter in the list is refused", () => {
    expect(errCode(create({ name: "c", filter_subjects: ["foo.a", ""] }))).toBe(10139);
    expect(errCode(create({ name: "c", filter_subject: "foo.a", filter_subjects: ["foo.b"] }))).toBe(10136);
  });

  test("push and pull specific checks", () => {
    expect(errCode(create({ name: "c", deliver_subject: "foo.x" }))).toBe(10081);
    expect(errCode(create({ name: "c", deliver_subject: "a.*" }))).toBe(10079);
    expect(errCode(create({ name: "c", deliver_subject: "in", idle_heartbeat: 50e6 }))).toBe(10083);
    expect(errCode(create({ name: "c", deliver_subject: "in", flow_control: true }))).toBe(10108);
    expect(errCode(create({ name: "c", idle_heartbeat: 1e9 }))).toBe(10088);
    expect(errCode(create({ name: "c", flow_control: true }))).toBe(10089);
    expect(errCode(create({ name: "c", rate_limit_bps: 1000 }))).toBe(10086);
    expect(errCode(create({ name: "c", max_expires: 10 }))).toBe(10115);
    expect(errCode(create({ name: "c" }, { ...stream, retention: "workqueue" }))).toBe(10084);
    expect(errCode(create({ name: "c", deliver_subject: "in", priority_policy: "overflow", priority_groups: ["A"] }))).toBe(10178);
    expect(errCode(create({ name: "c", priority_policy: "overflow" }))).toBe(10159);
    expect(errCode(create({ name: "c", priority_groups: ["A"] }))).toBe(10196);
    expect(errCode(create({ name: "c", priority_timeout: 5 }))).toBe(10197);
  });

  test("names, descriptions, metadata, sampling and backoff", () => {
    expect(create({ name: "a.b" })).toMatchObject({ err_code: 10052, description: "consumer name can not contain '.', '*', '>', '\\', '/'" });
    expect(errCode(create({ name: "a", durable_name: "b" }))).toBe(10132);
    expect(errCode(create({ name: "a", description: "x".repeat(4097) }))).toBe(10107);
    expect(create({ name: "a", metadata: { k: "v".repeat(128 * 1024) } })).toMatchObject({ description: "consumer metadata exceeds maximum size of 128KB" });
    expect(errCode(create({ name: "a", sample_freq: "abc%" }))).toBe(10095);
    expect(errCode(create({ name: "a", sample_freq: "50%" }))).toBe(0);
    expect(errCode(create({ name: "a", ack_policy: "explicit", backoff: [1e9, 2e9, 3e9], max_deliver: 2 }))).toBe(10116);
    expect(errCode(create({ name: "a", ack_policy: "explicit", backoff: [-1] }))).toBe(10184);
    expect(errCode(create({ name: "a", num_replicas: 3 }))).toBe(10126);
  });

  test("bad JSON values are invalid JSON errors, never crashes", () => {
    for (const bad of [{ name: 5 }, { ack_policy: "sometimes" }, { max_deliver: "x" }, { backoff: "1s" }, { opt_start_time: "yesterday" }, { metadata: [1] }]) {
      expect(errCode(create(bad as Record<string, unknown>))).toBe(10025);
    }
    expect(() => parseConsumerConfig(null)).toThrow(/consumer config required/);
  });

  test("defaults: backoff sets ack wait, pinned gets a 2 minute ttl, pull gets max_waiting", () => {
    const cfg = create({ name: "c", ack_policy: "explicit", backoff: [2e9, 4e9], priority_policy: "pinned_client", priority_groups: ["A"] }) as ConsumerConfigJson;
    expect(cfg.ack_wait).toBe(2e9);
    expect(cfg.priority_timeout).toBe(120e9);
    expect(cfg.max_waiting).toBe(512);
    const push = create({ name: "c", deliver_subject: "in" }) as ConsumerConfigJson;
    expect(push.max_waiting).toBeUndefined();
    expect(push.max_ack_pending).toBeUndefined();
  });
});
