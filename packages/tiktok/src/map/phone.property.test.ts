import { SEED, seedNote } from "@ferry/testkit/seed";
import fc from "fast-check";
import { getCountries, getCountryCallingCode, Metadata, parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/max";
import examples from "libphonenumber-js/mobile/examples";
import { describe, expect, it } from "vitest";
import { NOT_HANDLED, plainE164 } from "./phone.js";

// plainE164 re-implements libphonenumber-js's parse → isValid for plain input with compiled
// patterns; libphonenumber-js itself is the oracle here, on every region's numbers and on
// near misses of them (a digit changed, dropped or added; prefixes and separators).

const reference = (text: string, region: string | undefined) => {
  const parsed = parsePhoneNumberFromString(text, region as CountryCode | undefined);
  return parsed?.isValid() ? parsed.number : undefined;
};

const countries = getCountries();
const example = (c: CountryCode) => (examples as Record<string, string>)[c];

/** A country's national prefix ("0", "8", "1"…) and a literal international prefix ("00", "011"…). */
const metadata = new Metadata() as unknown as {
  selectNumberingPlan(c: string): void;
  numberingPlan: { nationalPrefix(): string | undefined; IDDPrefix(): string; defaultIDDPrefix(): string | undefined };
};
const prefixes = (c: CountryCode) => {
  metadata.selectNumberingPlan(c);
  const n = metadata.numberingPlan;
  const idd = n.defaultIDDPrefix() ?? n.IDDPrefix();
  return { national: n.nationalPrefix() ?? "", idd: /^\d+$/.test(idd) ? idd : "00" };
};

describe("plain phone numbers read as libphonenumber-js reads them", () => {
  it("every region's example mobile number, national and international, read from its own region, FR, US, GB and none", () => {
    let compared = 0;
    for (const country of countries) {
      const nsn = example(country);
      if (!nsn) continue;
      const cc = getCountryCallingCode(country);
      const { national, idd } = prefixes(country);
      const inputs = [
        ...[`+${cc}${nsn}`, `+${cc} ${nsn}`, nsn, `0${nsn}`, `${cc}${nsn}`, `00${cc}${nsn}`, `011${cc}${nsn}`, `8${nsn}`, `1${nsn}`],
        ...[
          `${national}${nsn}`,
          `+${cc}${national}${nsn}`,
          `${idd}${cc}${nsn}`,
          `${idd}0${nsn}`,
          `${cc}${national}${nsn}`,
          `${national}${national}${nsn}`,
        ],
      ];
      for (const region of [country, "FR", "US", "GB", undefined]) {
        for (const text of inputs) {
          const fast = plainE164(text, region);
          expect(fast, `${text} from ${region}`).not.toBe(NOT_HANDLED);
          expect(fast, `${text} from ${region}`).toBe(reference(text, region));
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(8000);
  });

  it(`generated numbers and near misses (${seedNote})`, () => {
    const withExample = countries.filter((c) => example(c));
    const anyRegion = fc.option(fc.constantFrom(...countries), { nil: undefined });
    const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: min, maxLength: max });
    const mutated = fc
      .tuple(fc.constantFrom(...withExample), fc.nat(), fc.constantFrom("change", "drop", "add", "keep"), digits(1, 1))
      .map(([c, at, how, d]) => {
        const n = example(c)!;
        const i = at % n.length;
        const nsn =
          how === "change"
            ? n.slice(0, i) + d + n.slice(i + 1)
            : how === "drop"
              ? n.slice(0, i) + n.slice(i + 1)
              : how === "add"
                ? n.slice(0, i) + d + n.slice(i)
                : n;
        return { c, cc: getCountryCallingCode(c), nsn, ...prefixes(c) };
      });
    // Mostly read from the number's own region, where national prefixes and IDD prefixes apply.
    const number = mutated.chain((m) =>
      fc.tuple(
        fc.constantFrom(
          `+${m.cc}${m.nsn}`,
          m.nsn,
          `${m.national}${m.nsn}`,
          `+${m.cc}${m.national}${m.nsn}`,
          `${m.cc}${m.nsn}`,
          `${m.cc}${m.national}${m.nsn}`,
          `${m.idd}${m.cc}${m.nsn}`,
          `${m.idd}0${m.nsn}`,
          `${m.national}${m.national}${m.nsn}`,
        ),
        fc.oneof({ weight: 3, arbitrary: fc.constant<string | undefined>(m.c) }, anyRegion),
      ),
    );
    const random = fc.tuple(
      fc.oneof(
        digits(1, 20),
        digits(1, 20).map((d) => `+${d}`),
      ),
      anyRegion,
    );
    // Separators between digits, as people type them.
    const text = fc
      .tuple(
        fc.oneof({ weight: 4, arbitrary: number }, random),
        fc.array(fc.constantFrom(" ", "-", ".", "/", "(", ")", ""), { maxLength: 20 }),
        fc.boolean(),
      )
      .map(([[b, region], seps, paren]) => {
        let out = "";
        for (let i = 0; i < b.length; i++) out += b[i]! + (i > 0 && i < b.length - 1 ? (seps[i] ?? "") : "");
        return { text: paren ? `(${out}` : out, region };
      });
    fc.assert(
      fc.property(text, ({ text: t, region }) => {
        const fast = plainE164(t, region);
        if (fast !== NOT_HANDLED) expect(fast).toBe(reference(t, region));
      }),
      { seed: SEED, numRuns: Number(process.env["FERRY_PHONE_RUNS"] ?? 20_000) },
    );
  });

  it("leaves what is not plain to libphonenumber-js", () => {
    for (const text of [
      "tel:+33612345678",
      "+33 6 12 34 56 78 ext. 12",
      "+33 6 12 34 56 78#",
      "０６１２３４５６７８",
      "06 12 34 56 78 x 2",
      "12",
      "6+12345678",
    ]) {
      expect(plainE164(text, "FR"), text).toBe(NOT_HANDLED);
    }
  });
});
