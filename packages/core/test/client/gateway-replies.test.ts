import { expect, test } from "vitest";
import { GatewayReplies, isGatewayRoutedReply } from "../../src/client/gateway-replies.js";

test("routed replies are recognised, shown without their prefix, and mapped back until they expire", () => {
  let now = 1000;
  const replies = new GatewayReplies(() => now);
  expect(isGatewayRoutedReply("_GR_.abcdef.ghijkl._INBOX.1")).toBe(true);
  expect(isGatewayRoutedReply("_GR_.abcdef.ghijkl.")).toBe(false);
  expect(isGatewayRoutedReply("_INBOX.1")).toBe(false);
  expect(replies.show("_GR_.abcdef.ghijkl._INBOX.1")).toBe("_INBOX.1");
  expect(replies.routedFor("_INBOX.1")).toBe("_GR_.abcdef.ghijkl._INBOX.1");
  expect(replies.routedFor("_INBOX.1")).toBe("_GR_.abcdef.ghijkl._INBOX.1");
  expect(replies.routedFor("_INBOX.2")).toBeUndefined();
  now += 2000;
  expect(replies.routedFor("_INBOX.1")).toBeUndefined();
});
