import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { chromium, type Browser } from "playwright-core";
import { startWsServer, tcpConnect, type WsServer } from "./helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);

/** The part of esbuild's API used here. */
interface Esbuild {
  build(options: Record<string, unknown>): Promise<unknown>;
}

/** esbuild, found through vitest -> vite (no extra dependency for one test fixture). */
async function loadEsbuild(): Promise<Esbuild> {
  const fromVitest = createRequire(createRequire(import.meta.url).resolve("vitest/package.json"));
  const fromVite = createRequire(fromVitest.resolve("vite/package.json"));
  return (await import(fromVite.resolve("esbuild"))) as Esbuild;
}

/** Bundles nats.js (wsconnect, headers) for the browser, exposed as `window.nats`. */
async function bundleNatsJs(dir: string): Promise<string> {
  const esbuild = await loadEsbuild();
  const out = join(dir, "nats.js");
  await esbuild.build({
    stdin: {
      contents: 'import { wsconnect, headers } from "@nats-io/nats-core"; window.nats = { wsconnect, headers };',
      resolveDir: fileURLToPath(new URL("..", import.meta.url)),
      loader: "js",
    },
    bundle: true,
    platform: "browser",
    format: "iife",
    target: "es2022",
    outfile: out,
    logLevel: "silent",
  });
  return readFileSync(out, "utf8");
}

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><script src="/nats.js"></script></head><body>nats-ts browser test</body></html>`;

describe.skipIf(!haveChromium)(`a real browser (headless Chromium; skipped when ${CHROMIUM} is not installed)`, () => {
  let dir: string;
  let page: Server;
  let pageOrigin: string;
  let browser: Browser;
  let s: WsServer;
  let tcp: NatsConnection;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "nats-ts-ws-browser-"));
    const bundle = await bundleNatsJs(dir);
    page = createServer((req, res) => {
      if (req.url === "/nats.js") res.writeHead(200, { "Content-Type": "text/javascript" }).end(bundle);
      else res.writeHead(200, { "Content-Type": "text/html" }).end(PAGE);
    });
    await new Promise<void>((r) => page.listen(0, "127.0.0.1", r));
    const addr = page.address();
    pageOrigin = `http://127.0.0.1:${typeof addr === "object" && addr !== null ? addr.port : 0}`;
    s = await startWsServer({ compression: true, allowedOrigins: [pageOrigin] });
    tcp = await tcpConnect(s);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await tcp?.close();
    await s?.stop();
    await new Promise((r) => page?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("a page exchanges messages, requests and headers with a TCP client", async () => {
    // The TCP side: a service the browser calls, and a subscriber for what the browser echoes.
    tcp.subscribe("svc.upper", { callback: (_e, m) => void m.respond(m.string().toUpperCase()) });
    const echoed = tcp.subscribe("browser.out", { max: 2 });
    await tcp.flush();

    const tab = await browser.newPage();
    await tab.goto(pageOrigin);
    const big = "z".repeat(200_000);
    const result = await tab.evaluate(
      async ({ url, big }) => {
        const { wsconnect, headers } = (globalThis as unknown as { nats: { wsconnect: Function; headers: Function } }).nats;
        const nc = await wsconnect({ servers: url, name: "chromium" });
        // Echo what the TCP side sends, with a header saying where it went.
        nc.subscribe("browser.in", {
          callback: (_e: unknown, m: { string(): string; data: Uint8Array }) => {
            const h = headers();
            h.set("Via", "chromium");
            nc.publish("browser.out", `echo:${m.data.length}:${m.string().slice(0, 5)}`, { headers: h });
          },
        });
        await nc.flush();
        const reply = await nc.request("svc.upper", "hello from the browser", { timeout: 5000 });
        const ua = (globalThis as unknown as { navigator: { userAgent: string } }).navigator.userAgent;
        (globalThis as unknown as { nc: unknown }).nc = nc;
        return { reply: reply.string(), ua };
      },
      { url: s.url, big },
    );
    expect(result.reply).toBe("HELLO FROM THE BROWSER");
    expect(result.ua).toMatch(/Chrome/);

    tcp.publish("browser.in", "small");
    tcp.publish("browser.in", big); // compressed on the way to the browser
    const got: string[] = [];
    for await (const m of echoed) {
      expect(m.headers?.get("Via")).toBe("chromium");
      got.push(m.string());
    }
    expect(got).toEqual(["echo:5:small", `echo:${big.length}:zzzzz`]);

    const conn = [...s.server.connections.values()].find((c) => c.connect.name === "chromium");
    expect(conn?.transport).toBe("websocket");
    expect(conn?.connect.lang).toBe("nats.ws");
    await tab.evaluate(async () => (globalThis as unknown as { nc: { close(): Promise<void> } }).nc.close());
    await tab.close();
  });

  test("a page from an origin that is not allowed can not connect", async () => {
    const other = await startWsServer({ allowedOrigins: ["http://somewhere.else.example"] });
    try {
      const tab = await browser.newPage();
      await tab.goto(pageOrigin);
      const outcome = await tab.evaluate(async (url) => {
        try {
          const nc = await (globalThis as unknown as { nats: { wsconnect: Function } }).nats.wsconnect({ servers: url, reconnect: false });
          await nc.close();
          return "connected";
        } catch (e) {
          return `refused: ${(e as Error).message}`;
        }
      }, other.url);
      expect(outcome).toMatch(/^refused/);
      await tab.close();
    } finally {
      await other.stop();
    }
  });
});
