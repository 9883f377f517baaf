import { validate, validateHelp } from "./commands/validate.js";
import { EXIT, UsageError, type Io } from "./io.js";

type Command = { summary: string; help: string; run: (argv: string[], io: Io) => Promise<number> };

export const COMMANDS: Record<string, Command> = {
  validate: { summary: "check activation files and ferry.yml (no warehouse, no TikTok)", help: validateHelp, run: validate },
};

const mainHelp = () => `Ferry sends conversions from your warehouse to TikTok Ads as offline conversions.
Each activation is a reviewed YAML file in activations/; every row of its segment is one
conversion, and each run sends only the conversions that are new.

Usage: ferry <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join("\n")}

Run \`ferry <command> --help\` for a command's options and examples.

Start here:
  ferry validate                      check every activation in activations/

Environment:
  FERRY_WAREHOUSE_URL   the "default" warehouse when ferry.yml defines none
  TIKTOK_API_BASE_URL   replaces https://business-api.tiktok.com (e.g. a local sandbox)
  NO_COLOR              disable colours
`;

/** The whole CLI as a function: argv in, exit code out; all output goes through `io`. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" ? rest[0] : undefined;
    const command = topic ? COMMANDS[topic] : undefined;
    io.stdout.write(command ? command.help : mainHelp());
    return topic && !command ? EXIT.usage : EXIT.ok;
  }
  if (name === "--version" || name === "-v") {
    io.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`ferry: unknown command "${name}"\n\n${mainHelp()}`);
    return EXIT.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`ferry ${name}: ${error.message}\nRun \`ferry ${name} --help\` for usage.\n`);
      return EXIT.usage;
    }
    throw error;
  }
}

export const VERSION = "0.1.0";
