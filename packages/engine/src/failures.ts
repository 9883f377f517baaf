import { THROTTLE_CODES } from "@ferry/tiktok";
import type { SyncPlan } from "./compile/compile.js";

/** Failures that stop a run without failing it: the API's limits, not Ferry or its config. */
export const STOPPING_KINDS: ReadonlySet<FailureKind> = new Set(["tiktok_throttled", "tiktok_daily_limit"]);

/**
 * One classification of what stops a run, by what a human does next, used by the run report,
 * its warnings, the CLI and the action alike (Segment's action-destinations' idea).
 */
export type FailureKind =
  | "config"
  | "connection"
  | "authentication"
  | "permission"
  | "query"
  | "lock_held"
  | "tiktok_auth"
  | "tiktok_permission"
  | "tiktok_throttled"
  | "tiktok_daily_limit"
  | "tiktok_unavailable"
  | "tiktok_refused"
  | "internal";

/** Where the run was pointed: names only, never a value. */
export interface FailureContext {
  warehouse: string;
  urlEnv: string;
  stateSchema: string;
  accessTokenEnv: string;
  file?: string;
}

/** The kind of a failure thrown by the warehouse, the environment or the engine itself. */
export function classifyError(error: unknown): FailureKind {
  const e = error as { kind?: string; name?: string };
  switch (e.kind) {
    case "config":
    case "unsupported":
      return "config";
    case "connection":
    case "authentication":
    case "permission":
    case "query":
    case "lock_held":
      return e.kind;
    default:
      return "internal";
  }
}

/** How each warehouse says a column is missing (PostgreSQL, MySQL/MariaDB, SQLite). */
const MISSING_COLUMN = [
  /column "?(?:\w+\.)?([^"\s]+?)"? does not exist/i,
  /Unknown column '(?:[^'.]+\.)?([^']+)'/i,
  /no such column: (?:\w+\.)?(\S+)/i,
  // DuckDB
  /does not have a column named "([^"]+)"/i,
  /Referenced column "([^"]+)" not found/i,
];

type Located = Pick<SyncPlan, "file" | "positions" | "mapping" | "mappingSpec" | "extraction">;

/**
 * A warehouse's "no such column" about a column the activation maps, said in the activation's
 * terms: the field that names it and where, instead of Ferry's SQL and its table aliases.
 */
export function explainColumnError(message: string, plan: Located): string | undefined {
  const column = MISSING_COLUMN.map((re) => re.exec(message)?.[1]).find((c) => c !== undefined);
  if (column === undefined) return undefined;
  const same = (c: string) => c.toLowerCase() === column.toLowerCase();
  const mapped = plan.mapping.find((m) => "column" in m.from && same(m.from.column));
  const field = mapped
    ? `mapping.${mapped.field}`
    : plan.mappingSpec.phone_region !== undefined && same(plan.mappingSpec.phone_region)
      ? "mapping.phone_region"
      : plan.extraction.primaryKey.some(same)
        ? "source.primary_key"
        : undefined;
  if (field === undefined) return undefined;
  const at = plan.positions?.[field];
  return `${field} names column "${column}", which the source does not have (${plan.file}${at ? `:${at.line}:${at.column}` : ""})`;
}

/** The kind of a TikTok answer the client gave up on (its own taxonomy: auth, permission, …). */
export function classifyTikTok(kind: string, code: string | number | null | undefined, limit?: "day"): FailureKind {
  if (limit === "day") return "tiktok_daily_limit";
  if (kind === "auth") return "tiktok_auth";
  if (kind === "permission") return "tiktok_permission";
  if (kind === "invalid") return "tiktok_refused";
  // The client gives a gateway's 429, which carries no TikTok code, as code 429.
  if (kind === "retryable")
    return typeof code === "number" && (THROTTLE_CODES.has(code) || code === 429) ? "tiktok_throttled" : "tiktok_unavailable";
  return "internal";
}

/** A failure's headline and the one thing to do about it, naming what the run was pointed at. */
export function describeFailure(kind: string, ctx: FailureContext | undefined): { title: string; fix: string } {
  const w = ctx ? `warehouse "${ctx.warehouse}"` : "the warehouse";
  const url = ctx ? `$${ctx.urlEnv}` : "the warehouse URL variable";
  const token = ctx ? `$${ctx.accessTokenEnv}` : "the access token variable";
  switch (kind as FailureKind) {
    case "config":
      return {
        title: "The run could not start",
        fix: "Set what the message names (in GitHub Actions: a secret, passed in the step's env:), then run again.",
      };
    case "connection":
      return {
        title: `Ferry could not connect to ${w}`,
        fix: `Check the host, port and database in ${url}, and that this machine or runner can reach the warehouse (firewall, IP allow-list).`,
      };
    case "authentication":
      return {
        title: `${w[0]!.toUpperCase()}${w.slice(1)} refused the credentials`,
        fix: `Check the user and password in ${url} (its value is never printed).`,
      };
    case "permission":
      return {
        title: `${w[0]!.toUpperCase()}${w.slice(1)} refused this role an operation`,
        fix: `Grant the role in ${url} SELECT on the source and the right to create and write the state schema "${ctx?.stateSchema ?? "ferry"}" (README: Privileges).`,
      };
    case "query":
      return {
        title: `A query on ${w} failed`,
        fix: `Run \`ferry plan\` to see the SQL; check the source and the mapped column names${ctx?.file ? ` in ${ctx.file}` : ""}.`,
      };
    case "lock_held":
      return {
        title: "Another run of this activation holds its lock",
        fix: "Nothing to do if a run is in progress: the next run takes what is still new. A lock is released when the run holding it ends, or its process dies.",
      };
    case "tiktok_auth":
      return {
        title: "TikTok refused the access token",
        fix: `Generate a new access token in the offline event set's settings (Events Manager) and update the secret named ${token}.`,
      };
    case "tiktok_permission":
      return {
        title: "TikTok denied access to the advertiser or event set",
        fix: "Check that the token belongs to destination.advertiser_id and that destination.event_set_id is one of its offline event sets.",
      };
    case "tiktok_throttled":
      return {
        title: "TikTok throttled every request for too long, so the run stopped",
        fix: "Nothing to do: what TikTok acknowledged is recorded and the next run sends the rest. If it recurs, other tools may share the TikTok app's rate limit: set destination.requests_per_second, or schedule the runs apart.",
      };
    case "tiktok_daily_limit":
      return {
        title: "TikTok's daily request limit was reached, so the run stopped for the day",
        fix: "Nothing to do: what TikTok acknowledged is recorded and the first run after 00:00 UTC sends the rest. If it recurs, the TikTok app's daily limit is shared with other tools: ask TikTok for a higher tier.",
      };
    case "tiktok_unavailable":
      return {
        title: "TikTok kept failing on its side",
        fix: "Nothing unsent was recorded: the next run sends it. If it lasts, check TikTok's status.",
      };
    case "tiktok_refused":
      return {
        title: "TikTok refused a request",
        fix: "Read TikTok's message: it names the field. Nothing unsent was recorded.",
      };
    default:
      return {
        title: "Ferry failed unexpectedly",
        fix: "Nothing unacknowledged was recorded: the next run retries. This is a bug in Ferry: please report it with the command you ran (not your data or secrets).",
      };
  }
}
