import { createHash } from "node:crypto";

const DIGEST = /^[0-9a-fA-F]{64}$/;

export const sha256Hex = (value: string): string => createHash("sha256").update(value, "utf8").digest("hex");

/** A value that is already a SHA-256 hex digest is sent as is (lower-cased), never hashed twice. */
export const isDigest = (value: string): boolean => value.length === 64 && DIGEST.test(value);
