import { expect, it } from "vitest";

it("exports a small, reviewed public surface", async () => {
  expect(Object.keys(await import("@ferry/tiktok")).sort()).toMatchInlineSnapshot(`
    [
      "DEFAULT_BASE_URL",
      "DEFAULT_IN_FLIGHT",
      "MAX_BATCH_EVENTS",
      "PII_FIELDS",
      "REJECT_REASONS",
      "THROTTLE_CODES",
      "TIKTOK_FIELDS",
      "TikTokError",
      "createMapper",
      "createTikTokClient",
      "eventFingerprint",
      "eventId",
      "primaryKeyHash",
    ]
  `);
});
