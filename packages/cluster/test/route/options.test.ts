import { createServer } from "node:net";
import { optionsFromConf, parseConf } from "@nats-ts/core";
import { afterEach, describe, expect, test } from "vitest";
import { routeOptionsFromConf } from "../../src/route/index.js";
import { parseHostPort } from "../../src/shared/addresses.js";
import { Topology } from "./helpers.js";

const topo = new Topology();
afterEach(() => topo.stop());

function clusterBlock(text: string): unknown {
  const { options } = optionsFromConf(parseConf(text));
  return options.blocks?.cluster;
}

function confError(text: string): string {
  try {
    routeOptionsFromConf(clusterBlock(text));
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected a configuration error");
}

describe("routes: the cluster {} block", () => {
  test("TestRouteConfig: Go's configs/cluster.conf reads into the same options", () => {
    const opts = routeOptionsFromConf(
      clusterBlock(`
        port: 4242
        net: 127.0.0.1
        cluster {
          host: 127.0.0.1
          port: 4244
          name: "abc"
          authorization {
            user: route_user
            password: top_secret
            timeout: 1
          }
          routes = [
            nats-route://foo:bar@127.0.0.1:4245
            nats-route://foo:bar@127.0.0.1:4246
          ]
          no_advertise: true
          connect_retries: 2
          connect_backoff: true
        }
      `),
    );
    expect(opts).toMatchObject({
      name: "abc",
      host: "127.0.0.1",
      port: 4244,
      username: "route_user",
      password: "top_secret",
      authTimeout: 1,
      noAdvertise: true,
      connectRetries: 2,
      connectBackoff: true,
    });
    expect(opts.routes.map((r) => [r.host, r.port, r.user, r.password])).toEqual([
      ["127.0.0.1", 4245, "foo", "bar"],
      ["127.0.0.1", 4246, "foo", "bar"],
    ]);
  });

  test("listen, advertise, pool_size, accounts, compression, permissions and tls are read", () => {
    const opts = routeOptionsFromConf(
      clusterBlock(`
        cluster {
          listen: "0.0.0.0:-1"
          advertise: "10.0.0.1:7244"
          pool_size: 3
          accounts: [A, B]
          compression: "accept"
          permissions { import: "foo.>", export { allow: ["bar.*"], deny: "bar.x" } }
          tls { cert_file: "c.pem", key_file: "k.pem", ca_file: "ca.pem", timeout: 3, insecure: true }
        }
      `),
    );
    expect(opts).toMatchObject({
      host: "0.0.0.0",
      port: -1,
      advertise: "10.0.0.1:7244",
      poolSize: 3,
      pinnedAccounts: ["A", "B"],
      compression: { mode: "accept", rttThresholds: [] },
      permissions: { import: { allow: ["foo.>"] }, export: { allow: ["bar.*"], deny: ["bar.x"] } },
      tls: { certFile: "c.pem", keyFile: "k.pem", caFile: "ca.pem", timeout: 3, insecure: true, verify: false },
    });
    // Go's DEFAULT_ROUTE_POOL_SIZE when pool_size is absent or 0; -1 turns pooling off.
    expect(routeOptionsFromConf(clusterBlock(`cluster { port: -1 }`)).poolSize).toBe(3);
    expect(routeOptionsFromConf(clusterBlock(`cluster { pool_size: 0 }`)).poolSize).toBe(3);
    expect(routeOptionsFromConf(clusterBlock(`cluster { pool_size: -1 }`)).poolSize).toBe(-1);
    expect(routeOptionsFromConf(clusterBlock(`cluster { compression: false }`)).compression.mode).toBe("off");
    expect(routeOptionsFromConf(clusterBlock(`cluster { compression: { mode: s2_best } }`)).compression.mode).toBe("s2_best");
  });

  test("bad values fail with Go's words", () => {
    expect(confError(`cluster { name: "a b" }`)).toMatch(/cluster name cannot contain spaces/);
    expect(confError(`cluster { port: "x" }`)).toMatch(/interface conversion: interface \{\} is string, not int64/);
    expect(confError(`cluster { authorization { token: abc } }`)).toMatch(/Cluster authorization does not support tokens/);
    expect(confError(`cluster { authorization { users: [{user: a, password: b}] } }`)).toMatch(/Cluster authorization does not allow multiple users/);
    expect(confError(`cluster { compression: "zstd" }`)).toMatch(/unsupported compression mode "zstd"/);
    expect(confError(`cluster { accounts: [A, A] }`)).toBe(`found duplicate account name "A" in pinned accounts list ["A" "A"]`);
    expect(confError(`cluster { accounts: [A], pool_size: -1 }`)).toBe("pool_size cannot be negative if pinned accounts are specified");
    expect(confError(`cluster { permissions { import: "a", responses: true } }`)).toMatch(/Cluster permissions do not support dynamic responses/);
    expect(confError(`cluster { bogus: 1 }`)).toMatch(/unknown field "bogus"/);
    expect(confError(`cluster {\n routes: [ 1 ]\n}`)).toMatch(/not string/);
    expect(confError(`cluster { tls { key_file: "k.pem" } }`)).toMatch(/missing 'cert_file' in TLS configuration/);
  });

  test("Go's host:port reading for advertise", () => {
    expect(parseHostPort("10.0.0.1", 6222)).toEqual({ host: "10.0.0.1", port: 6222 });
    expect(parseHostPort("10.0.0.1:7000", 6222)).toEqual({ host: "10.0.0.1", port: 7000 });
    expect(parseHostPort("[::1]:7000", 6222)).toEqual({ host: "::1", port: 7000 });
    expect(parseHostPort("addr:::123", 6222)).toBeUndefined();
  });
});

describe("routes: startup errors", () => {
  test("TestClusterAdvertiseErrorOnStartup: an unusable advertise address stops the server from starting", async () => {
    await expect(topo.inProcess(`listen: "127.0.0.1:-1"\ncluster { listen: "127.0.0.1:-1", advertise: "addr:::123" }`)).rejects.toThrow(
      /Error setting route INFO with Cluster.Advertise value of addr:::123/,
    );
  });

  test("a route port in use stops the server from starting", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(topo.inProcess(`listen: "127.0.0.1:-1"\ncluster { listen: "127.0.0.1:${port}" }`)).rejects.toThrow(
        new RegExp(`Error listening on router port: ${port}`),
      );
    } finally {
      blocker.close();
    }
  });

  test("a bad cluster block stops the server from starting", async () => {
    await expect(topo.inProcess(`listen: "127.0.0.1:-1"\ncluster { port: -1, name: "with space" }`)).rejects.toThrow(/cluster name cannot contain spaces/);
  });

  test("a gateway name names the cluster; a different cluster name is a conflict (Go's validateCluster)", async () => {
    await expect(topo.inProcess(`listen: "127.0.0.1:-1"\ncluster { name: a, listen: "127.0.0.1:-1" }\ngateway { name: b, port: -1 }`)).rejects.toThrow(
      "cluster name conflicts between cluster and gateway definitions",
    );
  });

  test("port 0 means no clustering, as in Go", async () => {
    const s = await topo.inProcess(`listen: "127.0.0.1:-1"\ncluster { name: x }`);
    expect(s.server.plugin("cluster")).toBeDefined();
  });
});
