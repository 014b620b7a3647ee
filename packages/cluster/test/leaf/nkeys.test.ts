import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { UserKey, readCredentials, verifyNonceSignature } from "../../src/leaf/credentials.js";
import { freePort } from "../support/servers.js";
import { Topology, leafzOf, numLeafs, waitFor } from "./helpers.js";

const topo = new Topology();
afterEach(() => topo.stop());

// A user key pair from Go's leaf node tests.
const SEED = "SUACJN3OSKWWPQXME4JUNFJ3PARXPO657GGNWNU7PK7G3AUQQYHLW26XH4";
const PUBLIC = "UCSTG5CRF5GEJERAFKUUYRODGABTBVWY2NPE4GGKRQVQOH74PIAKTVKO";

describe("nkeys and credentials", () => {
  test("a seed gives its public key, and signatures verify", () => {
    const key = UserKey.fromSeed(SEED);
    expect(key.publicKey).toBe(PUBLIC);
    const sig = key.signNonce("abcdef");
    expect(verifyNonceSignature(PUBLIC, "abcdef", sig)).toBe(true);
    expect(verifyNonceSignature(PUBLIC, "abcdeg", sig)).toBe(false);
    expect(() => UserKey.fromSeed("SUBAD")).toThrow();
  });

  test("a creds file gives the JWT and the key; a malformed one fails with Go's words", () => {
    const dir = mkdtempSync(join(tmpdir(), "leaf-creds-"));
    try {
      const good = join(dir, "good.creds");
      writeFileSync(good, `-----BEGIN NATS USER JWT-----\neyJhbGciOi.payload.sig\n------END NATS USER JWT------\n\n************************* IMPORTANT *************************\n\n-----BEGIN USER NKEY SEED-----\n${SEED}\n------END USER NKEY SEED------\n`);
      const { jwt, key } = readCredentials(good);
      expect(jwt).toBe("eyJhbGciOi.payload.sig");
      expect(key.publicKey).toBe(PUBLIC);
      const bad = join(dir, "bad.creds");
      writeFileSync(bad, "nothing here");
      expect(() => readCredentials(bad)).toThrow("Credentials file malformed");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("TestLeafNodeNkeyAuth: the leaf listener's nkey authorization", async () => {
    const leafPort = await freePort();
    const hub = await topo.inProcess(`listen: 127.0.0.1:-1\nserver_name: test-server\nleaf {\n listen: "127.0.0.1:${leafPort}"\n authorization: { nkey: ${PUBLIC} }\n}`);
    const leaf = await topo.inProcess(`listen: 127.0.0.1:-1\nserver_name: test-leaf\nleaf { remotes: [ { url: "nats-leaf://127.0.0.1:${leafPort}", seed: ${SEED} } ] }`);
    await waitFor("connected", () => numLeafs(leaf.server) === 1 && numLeafs(hub.server) === 1);
  });

  test("TestLeafNodeAccountNkeysAuth: an nkey user of an account", async () => {
    const leafPort = await freePort();
    const hub = await topo.inProcess(`listen: 127.0.0.1:-1\nserver_name: test-server\nleaf { listen: "127.0.0.1:${leafPort}" }\naccounts { A { users [ {nkey: ${PUBLIC} } ] } }`);
    const leaf = await topo.inProcess(`listen: 127.0.0.1:-1\nserver_name: test-leaf\nleaf { remotes: [ { url: "nats-leaf://127.0.0.1:${leafPort}", seed: ${SEED} } ] }`);
    await waitFor("connected", () => numLeafs(leaf.server) === 1 && numLeafs(hub.server) === 1);
    expect(leafzOf(hub.server).leafs[0].account).toBe("A");
  });

  test("a nats-ts leaf signs a Go 2.9 hub's nonce with its seed", async () => {
    const leafPort = await freePort();
    await topo.go(`port: ${await freePort()}\nleafnodes { listen: "127.0.0.1:${leafPort}" }\naccounts { A { users [ {nkey: ${PUBLIC} } ] } }`);
    const leaf = await topo.inProcess(`port: -1\nleafnodes { reconnect: "50ms", remotes: [ { url: "nats-leaf://127.0.0.1:${leafPort}", seed: ${SEED} } ] }`);
    await waitFor("connected", () => numLeafs(leaf.server) === 1);
    expect(leafzOf(leaf.server).leafs[0]).toMatchObject({ is_spoke: true });
  });
});
