export { main } from "./main.js";
export { parseFlags, FlagError, type CommandLine } from "./flags.js";
export { portsFilePath } from "./ports-file.js";
