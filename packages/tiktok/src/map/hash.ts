import { hash } from "node:crypto";

const DIGEST = /^[0-9a-fA-F]{64}$/;

// One-shot hashing: no Hash object per value (measurably cheaper on the hot path).
export const sha256Hex = (value: string): string => hash("sha256", value, "hex");

/** A value that is already a SHA-256 hex digest is sent as is (lower-cased), never hashed twice. */
export const isDigest = (value: string): boolean => value.length === 64 && DIGEST.test(value);
