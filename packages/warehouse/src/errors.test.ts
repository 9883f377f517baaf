import { expect, it } from "vitest";
import { driverError } from "./errors.js";

it("keeps emails and phone numbers a warehouse quotes out of its error messages, and what explains the error in", () => {
  const cases = [
    ['invalid input syntax for type integer: "jane.doe@example.com"', 'invalid input syntax for type integer: "<email>"'],
    [
      "Conversion Error: Could not convert string '+33 6 12 34 56 78' to INT32",
      "Conversion Error: Could not convert string '<phone>' to INT32",
    ],
    ["Bad int64 value: 0612345678", "Bad int64 value: <phone>"],
    // Names, dates, small numbers and hashes say what went wrong: kept.
    ['column "customer_mail" does not exist', 'column "customer_mail" does not exist'],
    ["date/time field value out of range: 2025-13-45 10:00:00", "date/time field value out of range: 2025-13-45 10:00:00"],
    ["another process (PID 12345) has it open", "another process (PID 12345) has it open"],
  ];
  for (const [message, shown] of cases) expect(driverError(new Error(message), "duckdb:./x.duckdb").message).toBe(shown);
});
