import { describe, expect, it } from "vitest";
import { rejectionMemory } from "./remembered.js";

const plan = {
  mappingDigest: "00112233445566778899aabbccddeeff",
  extraction: {
    activation: "a",
    source: { table: "orders" },
    primaryKey: ["id"],
    columns: ["email", "amount"],
    stateSchema: "ferry",
  },
};
const fp = (row: Record<string, unknown>) => rejectionMemory(plan).fingerprint(row);

describe("rejectionMemory().fingerprint", () => {
  it("is stable across versions: a change of format would report every remembered rejection again", () => {
    // SHA-256, base64url, of "<digest>\u001fs13:x@example.com\u001fs5:10.50\u001fs1:1": each column
    // (mapped ones, then the key) typed and sized.
    expect(fp({ id: "1", email: "x@example.com", amount: "10.50" })).toBe("BO14G_qg9KlvzLYaLJr4sbQcujmArEraLUzLLQ2N0gM");
  });

  it("tells apart values whose text is alike", () => {
    const rows = [
      { id: 1, email: null, amount: 1 },
      { id: 1, email: "", amount: 1 },
      { id: 1, email: "n", amount: 1 },
      { id: 1, email: "null", amount: 1 },
      { id: "1", email: null, amount: 1 },
      { id: 1, email: null, amount: "1" },
      { id: 1, email: null, amount: 1n + 1n },
      { id: 1, email: "a\u001fs1:b", amount: 1 },
      { id: 1, email: "a", amount: "b" },
      { id: 1, email: new Date(0), amount: 1 },
      { id: 1, email: new Date(1), amount: 1 },
      { id: 1, email: Buffer.from("ab"), amount: 1 },
      { id: 1, email: { json: true }, amount: 1 },
      { id: 1, email: true, amount: 1 },
    ];
    expect(new Set(rows.map(fp)).size).toBe(rows.length);
  });

  it("reads only the extracted columns, and the mapping's digest", () => {
    const row = { id: 1, email: "x@example.com", amount: 2 };
    expect(fp({ ...row, unmapped: "anything" })).toBe(fp(row));
    expect(rejectionMemory({ ...plan, mappingDigest: "ffeeddccbbaa99887766554433221100" }).fingerprint(row)).not.toBe(fp(row));
    expect(fp({ ...row, id: 2 })).not.toBe(fp(row));
  });
});
