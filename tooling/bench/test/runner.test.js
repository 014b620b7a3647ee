import { expect, test } from "vitest";
import { medianMetrics } from "../src/runner.js";

/** @param {number} rate @param {number} p99 */
const run = (rate, p99) => [
  { name: "msgs/s", value: rate, better: /** @type {const} */ ("higher") },
  { name: "p99 us", value: p99, better: /** @type {const} */ ("lower") },
];

test("medianMetrics takes each metric's median over the rounds independently", () => {
  expect(medianMetrics([run(3, 10), run(1, 30), run(2, 20)])).toEqual(run(2, 20));
  expect(medianMetrics([run(5, 1)])).toEqual(run(5, 1));
  expect(medianMetrics([run(4, 9), run(2, 7)])).toEqual(run(2, 7)); // lower middle of an even count
});
