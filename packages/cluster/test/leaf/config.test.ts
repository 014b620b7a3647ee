import { afterEach, describe, expect, test } from "vitest";
import { NatsServer, optionsFromConf, parseConf } from "@nats-ts/core";
import { clusterPlugin, leafNodeOptionsFromConf } from "../../src/index.js";
import { freePort } from "../support/servers.js";
import { Topology, numLeafs, waitFor } from "./helpers.js";

const topo = new Topology();
afterEach(() => topo.stop());

/** The error a server with this conf refuses to start with (conf parsing or plugin start). */
async function startError(conf: string): Promise<string> {
  let server: NatsServer | undefined;
  try {
    server = new NatsServer(optionsFromConf(parseConf(conf)).options, { plugins: [clusterPlugin()] });
    await server.start();
  } catch (e) {
    return (e as Error).message;
  } finally {
    await server?.shutdown();
  }
  throw new Error("the server started");
}

describe("leafnodes {} configuration errors", () => {
  test("TestLeafNodeValidateAuthOptions: single user with a users array, duplicate users", async () => {
    expect(
      await startError(`port: -1\nleafnodes { port: -1, authorization { user: user1, password: pwd, users [ { user: user, password: pwd } ] } }`),
    ).toContain("can not have a single user/pass and a users array");
    expect(
      await startError(`port: -1\nleafnodes { port: -1, authorization { users [ { user: user, password: pwd }, { user: user, password: pwd } ] } }`),
    ).toContain(`duplicate user "user" detected in leafnode authorization`);
  });

  test.each([
    ["same urls", ""],
    ["same urls/acc", `, account: A`],
    ["same urls/acc/creds", `, account: A, credentials: "credsfile"`],
  ])("TestLeafNodeDetectDuplicateRemotesInOptions: %s", async (_name, extra) => {
    const dup = `{ url: "nats://user1:pwd@127.0.0.1:1234"${extra} }`;
    const err = await startError(`port: -1\naccounts { A {} }\nleafnodes { port: -1, remotes [ ${dup}, { url: "nats://user2:pwd@127.0.0.1:1235" }, ${dup} ] }`);
    expect(err).toContain("duplicate remote");
    expect(err).toContain("user1:xxxxx");
  });

  test("TestLeafNodeAccountNotFound: a remote bound to an unknown account refuses to start", async () => {
    const leafPort = await freePort();
    expect(await startError(`port: -1\nleafnodes { remotes [ { url: "nats://127.0.0.1:${leafPort}", account: foo } ] }`)).toContain(
      `cannot find local account "foo" specified in leafnode remote`,
    );
    const hubConf = `port: -1\nleafnodes { listen: "127.0.0.1:${leafPort}" }`;
    let hub = await topo.inProcess(hubConf);
    const leafConf = (accounts: string) => `port: -1\n${accounts}\nleafnodes { reconnect: "20ms", remotes [ { url: "nats://127.0.0.1:${leafPort}", account: foo } ] }`;
    const leaf = await topo.logged(leafConf("accounts { foo {} }"));
    await waitFor("connected", () => numLeafs(hub.server) === 1 && numLeafs(leaf.server) === 1);
    // The account goes away (a reload here); when the hub comes back the remote can not bind.
    leaf.server.reload(optionsFromConf(parseConf(leafConf(""))).options);
    await hub.stop();
    hub = await topo.inProcess(hubConf);
    await waitFor("the lookup error", () => leaf.lines.some((l) => l.includes("Unable to lookup account foo for solicited leafnode connection")));
    // It keeps trying.
    const attempts = () => leaf.lines.filter((l) => l.includes("Unable to lookup account foo")).length;
    const seen = attempts();
    await waitFor("another attempt", () => attempts() > seen);
    expect(numLeafs(leaf.server)).toBe(0);
  });

  test("unknown authorization account, bad values and unknown fields fail with Go's words and position", async () => {
    expect(await startError(`port: -1\nleafnodes { port: -1, authorization { account: unknown } }`)).toContain(
      `cannot find local account "unknown" specified in leafnode authorization`,
    );
    expect(await startError(`port: -1\nleafnodes { port: -1, authorization { users [ { user: a, password: b, account: nope } ] } }`)).toContain(
      `cannot find local account "nope" specified in leafnode authorization`,
    );
    expect(await startError(`port: -1\nleafnodes {\n  port: -1\n  bogus: 1\n}`)).toMatch(/4:3.*unknown field "bogus"/);
    expect(await startError(`port: -1\nleafnodes { port: "abc" }`)).toContain("interface conversion: interface {} is string, not int64");
    expect(await startError(`port: -1\nleafnodes { remotes [ { url: "nats://127.0.0.1:1", deny_imports: ["foo..bar"] } ] }`)).toContain(
      `subject "foo..bar" is not a valid subject`,
    );
    expect(await startError(`port: -1\nleafnodes { remotes [ { url: "nats://127.0.0.1:1", nkey: "SUBAD" } ] }`)).toContain(
      `Remote leafnode nkey is not a valid seed: "SUBAD"`,
    );
    expect(await startError(`port: -1\nleafnodes { remotes [ { url: "nats://127.0.0.1:1", tuning: 1 } ] }`)).toContain(`unknown field "tuning"`);
    expect(await startError(`port: -1\nleafnodes { remotes [ { url: 42 } ] }`)).toContain("Expected remote leafnode url to be an array or string");
    expect(await startError(`port: -1\nleafnodes { remotes: "x" }`)).toContain("Expected remotes field to be an array");
    expect(await startError(`port: -1\nleafnodes { port: -1, compression: "fastest" }`)).toContain(`unsupported compression mode "fastest"`);
    expect(await startError(`port: -1\nleafnodes { port: -1, min_version: "2.7.0" }`)).toContain("the minimum version should be at least 2.8.0");
  });

  test("the leaf port in use fails the start", async () => {
    const leafPort = await freePort();
    await topo.inProcess(`port: -1\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    expect(await startError(`port: -1\nleafnodes { listen: "127.0.0.1:${leafPort}" }`)).toContain(`Error listening on leafnode port: ${leafPort}`);
  });
});

describe("dial timeouts", () => {
  test("TestLeafNodeDialTimeoutConfig: the block's value, and a remote's own", () => {
    const opts = leafNodeOptionsFromConf(
      (parseConf(`leafnodes {
        dial_timeout: "5s"
        remotes = [
          { url: "nats-leaf://127.0.0.1:1234" }
          { url: "nats-leaf://127.0.0.1:5678", dial_timeout: "15s" }
        ]
      }`) as { leafnodes: unknown }).leafnodes,
    );
    expect(opts.dialTimeout).toBe(5_000);
    expect(opts.remotes.map((r) => r.dialTimeout)).toEqual([0, 15_000]);
  });

  test.each([
    ["server level", `leafnodes {\n dial_timeout: abc\n}`],
    ["remote level", `leafnodes {\n remotes = [ { url: "nats-leaf://127.0.0.1:1234", dial_timeout: abc } ]\n}`],
  ])("TestLeafNodeDialTimeoutConfigInvalid: %s", async (_name, conf) => {
    expect(await startError(`port: -1\n${conf}`)).toContain("error parsing dial_timeout");
  });
});
