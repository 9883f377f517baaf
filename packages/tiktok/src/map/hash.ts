import { hash } from "node:crypto";
import type { TikTokEvent } from "../types.js";

const DIGEST = /^[0-9a-fA-F]{64}$/;

// One-shot hashing: no Hash object per value (measurably cheaper on the hot path).
export const sha256Hex = (value: string): string => hash("sha256", value, "hex");

/** A value that is already a SHA-256 hex digest is sent as is (lower-cased), never hashed twice. */
export const isDigest = (value: string): boolean => value.length === 64 && DIGEST.test(value);

/**
 * What TikTok was sent for one event, as remembered with its refusal: SHA-256 of the event's
 * JSON, base64url (43 characters, apart from the 64 hex characters of fingerprints stored by
 * earlier versions). The same row, mapped the same way, gives the same fingerprint.
 */
export const eventFingerprint = (event: TikTokEvent): string => hash("sha256", JSON.stringify(event), "base64url");
