import { dbt, dbtHelp } from "./commands/dbt.js";
import { demo, demoHelp } from "./commands/demo.js";
import { init, initHelp } from "./commands/init.js";
import { plan, planHelp } from "./commands/plan.js";
import { runCommand, runHelp } from "./commands/run.js";
import { sandbox, sandboxHelp } from "./commands/sandbox.js";
import { state, stateHelp } from "./commands/state.js";
import { validate, validateHelp } from "./commands/validate.js";
import { workflow, workflowHelp } from "./commands/workflow.js";
import { CommandError } from "./context.js";
import { color, EXIT, UsageError, type Io } from "./io.js";
import { VERSION } from "./release.js";

type Command = { summary: string; help: string; run: (argv: string[], io: Io) => Promise<number> };

export const COMMANDS: Record<string, Command> = {
  init: { summary: "set up Ferry in this repository: ferry.yml, an example, the workflows", help: initHelp, run: init },
  validate: { summary: "check activation files and ferry.yml (no warehouse, no TikTok)", help: validateHelp, run: validate },
  plan: { summary: "show the SQL, mapping, new-row count and sample events, sending nothing", help: planHelp, run: plan },
  run: { summary: "send the new conversions to TikTok and record what was acknowledged", help: runHelp, run: runCommand },
  state: { summary: "show or reset an activation's sync state", help: stateHelp, run: state },
  workflow: { summary: "check or sync the cron lines of the scheduled GitHub workflow", help: workflowHelp, run: workflow },
  dbt: { summary: "write (or --check) the dbt exposures of activations on dbt models", help: dbtHelp, run: dbt },
  sandbox: { summary: "start a local TikTok API that enforces the contract", help: sandboxHelp, run: sandbox },
  demo: { summary: "run the example activations on a seeded SQLite warehouse and the sandbox", help: demoHelp, run: demo },
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
  ferry init                          set up a repository (files, workflows, next steps)
  ferry validate                      check every activation in activations/
  ferry plan                          see what the next run would send
  ferry run --dry-run                 run everything but the push
  ferry demo                          the whole flow locally, nothing to set up

Environment:
  FERRY_WAREHOUSE_URL   the "default" warehouse when ferry.yml defines none
  DBT_MANIFEST_PATH     dbt's manifest.json, when ferry.yml does not set dbt.manifest_path
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
    if (
      error instanceof CommandError ||
      ["WarehouseError", "MissingEnvironmentError", "TikTokError"].includes((error as { name?: string }).name ?? "")
    ) {
      io.stderr.write(`${color(io, io.stderr.isTTY === true && !io.env["NO_COLOR"]).red("error")} ${(error as Error).message}\n`);
      return EXIT.failed;
    }
    // A bug: say so, and how to report it, without a wall of internals.
    io.stderr.write(
      `ferry ${name}: internal error: ${(error as Error).message ?? String(error)}\nThis is a bug in Ferry; please report it with the command you ran (not your data or secrets).\n`,
    );
    return EXIT.failed;
  }
}
