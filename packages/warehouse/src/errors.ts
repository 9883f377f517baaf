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
