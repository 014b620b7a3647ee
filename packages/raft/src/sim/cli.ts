import { runSimCli } from "./cli-main.js";

try {
  process.exitCode = runSimCli(process.argv.slice(2), (line) => console.log(line));
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 2;
}
