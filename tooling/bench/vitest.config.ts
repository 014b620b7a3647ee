import { preset } from "@nats-ts/vitest-preset";

// The bench is plain JavaScript, so are its tests.
export default preset({ test: { include: ["test/**/*.test.js"] } });
