/**
 * What the caller should do next: fix the connection, the credentials, the role's privileges or
 * the query, or wait for the other run.
 */
export type WarehouseErrorCode = "connection" | "authentication" | "permission" | "query" | "lock_held" | "unsupported";

export class WarehouseError extends Error {
  readonly kind: WarehouseErrorCode;
  constructor(
    readonly code: WarehouseErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "WarehouseError";
    this.kind = code;
  }
}

/** Removes a connection URL and its password from a driver message before anyone sees it. */
export function redact(message: string, url: string): string {
  let out = message;
  try {
    const parsed = new URL(url);
    if (parsed.password) out = out.split(decodeURIComponent(parsed.password)).join("***").split(parsed.password).join("***");
  } catch {
    // not a URL: nothing but the literal to remove
  }
  return out
    .split(url)
    .join("<warehouse url>")
    .replace(/\b([a-z0-9+]+):\/\/([^:/@\s]+):([^@\s]+)@/gi, "$1://$2:***@");
}

/** Drivers' error codes by what the user does next; any other keeps the operation's kind. */
const DRIVER_CODES: Record<string, WarehouseErrorCode> = {
  ECONNREFUSED: "connection",
  ENOTFOUND: "connection",
  ETIMEDOUT: "connection",
  ECONNRESET: "connection",
  "3D000": "connection", // PostgreSQL: no such database
  ER_BAD_DB_ERROR: "connection",
  SQLITE_CANTOPEN: "connection",
  "28P01": "authentication", // PostgreSQL: password authentication failed
  "28000": "authentication", // PostgreSQL: no pg_hba.conf entry / role may not log in
  ER_ACCESS_DENIED_ERROR: "authentication",
  "42501": "permission", // PostgreSQL: insufficient privilege
  ER_DBACCESS_DENIED_ERROR: "permission",
  ER_TABLEACCESS_DENIED_ERROR: "permission",
  ER_COLUMNACCESS_DENIED_ERROR: "permission",
  ER_SPECIFIC_ACCESS_DENIED_ERROR: "permission",
  SQLITE_READONLY: "permission",
  SQLITE_PERM: "permission",
  "390100": "authentication", // Snowflake: incorrect username or password
  "390144": "authentication", // Snowflake: JWT token is invalid
  "003001": "permission", // Snowflake: insufficient privileges
};

/**
 * knex prefixes driver errors with the statement, bindings inlined: values (hashes, or a
 * user's data in an upstream query) must not travel in error messages, so keep the driver's part.
 */
function driverMessage(message: string): string {
  // knex puts "run npm install <driver>" before a driver that failed to load, whatever the cause.
  message = message.replace(/^Knex: run\n\$ npm install \S+ --save\n/, "");
  // Installed with --ignore-scripts, or under npm's strict-allow-scripts without an approval.
  if (/Could not locate the bindings file[\s\S]*better.sqlite3/.test(message))
    return "SQLite's driver (better-sqlite3) is installed without its native part: its install script did not run (npm --ignore-scripts, or strict-allow-scripts without an approval). Run `npm install-scripts approve better-sqlite3 && npm rebuild better-sqlite3`";
  const cut = message.match(/^\s*(?:select|insert|update|delete|create|drop|with|alter|merge)\b[\s\S]*? - (?=[^-][\s\S]*$)/i);
  const rest = cut ? message.slice(cut[0].length) : message;
  return rest.length > 500 ? `${rest.slice(0, 500)}…` : rest;
}

const EMAIL = /[^\s"'`(),;:<>]+@[^\s"'`(),;:<>]+\.[^\s"'`(),;:<>]+/g;
/** A number written as phones are: a + or a leading 0, then at least eight digits with separators. */
const PHONE = /(?:\+|\b0)\d[\d .()-]{6,}\d/g;

/**
 * A driver's message with what looks like an email or a phone number replaced: a warehouse
 * quotes the value it could not convert ("invalid input syntax for type integer: …"), and the
 * message travels to the run report, the log and a GitHub issue.
 */
export const withoutPersonalData = (message: string): string => message.replace(EMAIL, "<email>").replace(PHONE, "<phone>");

/** A driver's error as a WarehouseError: classified by its code, its message without the URL, SQL or personal data. */
export function driverError(error: unknown, url: string, code: WarehouseErrorCode = "query"): WarehouseError {
  if (error instanceof WarehouseError) return error;
  const e = error as { message?: string; code?: string | number };
  const kind = (e.code !== undefined ? DRIVER_CODES[String(e.code)] : undefined) ?? code;
  return new WarehouseError(kind, withoutPersonalData(redact(driverMessage(e.message ?? String(error)), url)));
}
