import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

let dir: string;
let cli: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "raft-cli-"));
  cli = join(dir, "sim.mjs");
  await build({ entryPoints: [join(import.meta.dirname, "../src/sim/cli.ts")], bundle: true, platform: "node", format: "esm", outfile: cli, logLevel: "warning" });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]): string => execFileSync(process.execPath, [cli, ...args], { encoding: "utf8" });

describe("sim CLI", () => {
  test("reports seeds, steps, faults and invariant checks", () => {
    const out = run("--seeds", "3", "--steps", "3000");
    expect(out).toMatch(/seeds run: +3 \(1\.\.3\)/);
    expect(out).toMatch(/steps: +\d+/);
    expect(out).toMatch(/faults injected: +\d+/);
    expect(out).toMatch(/invariant checks: +[1-9]\d*/);
    expect(out).toMatch(/result: +OK/);
  });

  test("the same seed prints the same run", () => {
    const strip = (s: string): string => s.replace(/OK in .*/, "");
    expect(strip(run("--seed", "77", "--steps", "4000"))).toBe(strip(run("--seed", "77", "--steps", "4000")));
  });

  test("bad arguments exit non-zero with a message", () => {
    expect(() => execFileSync(process.execPath, [cli, "--steps", "x"], { stdio: "pipe" })).toThrow(/--steps must be/);
  });
});

describe("sim failure reporting", () => {
  test("a core that acknowledges before persisting is caught, with seed, replay command and trace", async () => {
    const { vi } = await import("vitest");
    const { RaftCore } = await import("../src/core/raft.js");
    const { runSimCli } = await import("../src/sim/cli-main.js");
    const original = RaftCore.prototype.ready;
    // Inject the classic bug: send vote grants without waiting for the fsync.
    const spy = vi.spyOn(RaftCore.prototype, "ready").mockImplementation(function (this: InstanceType<typeof RaftCore>) {
      const rd = original.call(this);
      const early = rd.messages.filter((m) => m.type === "voteResp");
      return { ...rd, messages: rd.messages.filter((m) => m.type !== "voteResp"), leaderMessages: [...rd.leaderMessages, ...early] };
    });
    try {
      const lines: string[] = [];
      const code = runSimCli(["--seeds", "5", "--steps", "5000"], (l) => lines.push(l));
      const out = lines.join("\n");
      expect(code).toBe(1);
      expect(out).toMatch(/FAILED seed 1 after \d+ steps: durability before send/);
      expect(out).toMatch(/replay: pnpm --filter @nats-ts\/raft sim --seed 1 --steps 5000/);
      expect(out).toMatch(/step: .* voteResp/);
      // The shrunk run replays with fewer faults and still fails the same way.
      const minimal = /--skip-faults ([\d,]+)/.exec(out);
      if (minimal) {
        const again: string[] = [];
        expect(runSimCli(["--seed", "1", "--steps", "5000", "--skip-faults", minimal[1]], (l) => again.push(l))).toBe(1);
        expect(again.join("\n")).toMatch(/durability before send/);
      }
    } finally {
      spy.mockRestore();
    }
  });
});
