/// <reference lib="dom" />
import { existsSync } from "node:fs";
import { afterAll, beforeAll, expect, test } from "vitest";
import { chromium, type Browser } from "playwright-core";
import { FakeJetStream } from "./fake-jetstream.js";
import { startMonitored, type Harness } from "./helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);

let browser: Browser | undefined;
let h: Harness;
const js = new FakeJetStream();

beforeAll(async () => {
  if (!hasChromium) return;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  h = await startMonitored({}, { jetstream: js });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

test("the dashboard is one self-contained page", async () => {
  const local = await startMonitored();
  try {
    const r = await local.get("/dashboard");
    expect(r.status).toBe(200);
    expect(r.contentType).toContain("text/html");
    // No external scripts, styles or fonts: everything is inline.
    expect(r.text).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3)/);
  } finally {
    await local.close();
  }
});

// Needs the Debian package "chromium" (.ci/run installs it); skipped with this message otherwise.
test.skipIf(!hasChromium)("in Chromium: the dashboard loads, draws its charts and follows traffic (needs /usr/bin/chromium)", async () => {
  const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${h.monitor.httpPort}/dashboard?interval=150`);
  await page.waitForFunction(() => Number(document.body.dataset.polls ?? 0) >= 2);
  expect(await page.textContent("#connections")).toBe("0");
  expect(await page.textContent("#js-streams")).toBe("1");
  expect(await page.textContent("td.pending")).toBe("3");

  // Traffic: connections, subscriptions and message rates must move.
  const nc = await h.client({ name: "dash-client" });
  nc.subscribe("dash");
  const ticker = setInterval(() => {
    for (let i = 0; i < 50; i++) nc.publish("dash", "payload");
  }, 20);
  js.pending = 42;
  try {
    await page.waitForFunction(() => document.getElementById("connections")!.textContent === "1", undefined, { timeout: 10_000 });
    await page.waitForFunction(() => Number(document.getElementById("in-msgs-rate")!.textContent!.replace(/[^0-9.]/g, "")) > 0, undefined, { timeout: 10_000 });
    await page.waitForFunction(() => document.querySelector("td.pending")?.textContent === "42", undefined, { timeout: 10_000 });
  } finally {
    clearInterval(ticker);
  }
  expect(await page.textContent("#connections-table")).toContain("dash-client");

  // Every chart has drawn something: some pixel is not transparent.
  const painted = await page.evaluate(() =>
    Array.from(document.querySelectorAll("canvas")).map((c) => {
      const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
      return false;
    }),
  );
  expect(painted.length).toBe(6);
  expect(painted.every(Boolean)).toBe(true);
  expect(errors).toEqual([]);
  await page.close();
});

test.skipIf(!hasChromium)("in Chromium: the dashboard works under http_base_path (needs /usr/bin/chromium)", async () => {
  const based = await startMonitored({ blocks: { http_base_path: "/nats" } });
  const page = await browser!.newPage();
  try {
    await page.goto(`http://127.0.0.1:${based.monitor.httpPort}/nats/dashboard?interval=150`);
    await page.waitForFunction(() => Number(document.body.dataset.polls ?? 0) >= 1);
    expect(await page.getAttribute("#status", "class")).not.toBe("error");
    expect(await page.textContent("#server")).toContain(based.server.id);
  } finally {
    await page.close();
    await based.close();
  }
});
