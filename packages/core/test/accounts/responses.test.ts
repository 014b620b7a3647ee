import { describe, expect, test } from "vitest";
import { Account, Subscription } from "../../src/index.js";
import { ResponseRouter } from "../../src/accounts/imports.js";
import type { ServiceExport } from "../../src/accounts/plan.js";

function setup() {
  let now = 1_000;
  const routed: string[] = [];
  const exporter = new Account("EXP");
  const importer = new Account("IMP");
  const router = {
    route: (account: Account, subject: string) => {
      routed.push(`${account.name}:${subject}`);
      return 1;
    },
  };
  const responses = new ResponseRouter(exporter, router, () => now);
  const sub = new Subscription(responses, "_R_.>", "x");
  const respond = (reply: string) => responses.deliver(sub, reply, undefined, 0, Buffer.from("r"));
  return { responses, importer, routed, respond, advance: (ms: number) => (now += ms) };
}

const exp = (responseType: ServiceExport["responseType"], responseThreshold = 2_000): ServiceExport => ({ subject: "svc", responseType, responseThreshold });

describe("service import responses", () => {
  test("a singleton response is routed back once, then the reply mapping is gone", () => {
    const { responses, importer, routed, respond } = setup();
    const reply = responses.track(importer, "_INBOX.abc", exp("singleton"));
    expect(reply.startsWith("_R_.")).toBe(true);
    expect(respond(reply)).toBe(true);
    expect(respond(reply)).toBe(false);
    expect(routed).toEqual(["IMP:_INBOX.abc"]);
    responses.close();
  });

  test("streamed responses keep flowing until the response threshold passes", () => {
    const { responses, importer, routed, respond, advance } = setup();
    const reply = responses.track(importer, "_INBOX.s", exp("stream", 2_000));
    expect(respond(reply)).toBe(true);
    advance(1_500);
    expect(respond(reply)).toBe(true);
    advance(600);
    expect(respond(reply)).toBe(false);
    expect(routed).toEqual(["IMP:_INBOX.s", "IMP:_INBOX.s"]);
    expect(responses.size).toBe(0);
    responses.close();
  });

  test("unanswered requests are swept once their threshold has passed", () => {
    const { responses, importer, advance } = setup();
    responses.track(importer, "_INBOX.1", exp("singleton", 1_000));
    responses.track(importer, "_INBOX.2", exp("chunked", 5_000));
    advance(2_000);
    responses.sweep();
    expect(responses.size).toBe(1);
    advance(4_000);
    responses.sweep();
    expect(responses.size).toBe(0);
    responses.close();
  });
});
