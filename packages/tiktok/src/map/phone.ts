import { Metadata } from "libphonenumber-js/max";

// libphonenumber-js's parse → isValid costs about 6 µs a number, most of it per call rather than
// per digit: a RegExp built for every match, option objects spread, a Metadata object per step.
// This is the same algorithm (parse.js, extractCountryCallingCode, extractNationalNumber,
// getCountryByNationalNumber, getNumberType of libphonenumber-js 1.13) over the same metadata,
// with every pattern compiled once, for plain input only: digits, spaces and ( ) . / -, with an
// optional leading "+". Anything else (letters, extensions, tel: URIs, other scripts' digits)
// returns NOT_HANDLED and goes to libphonenumber-js itself. phone.property.test.ts holds the two
// equal on generated numbers of every region.

export const NOT_HANDLED = null;

type Lengths = readonly number[] | undefined;

interface Plan {
  callingCode: string;
  idd: RegExp | undefined;
  /** national_number_pattern, anchored at both ends */
  national: RegExp;
  lengths: Lengths;
  /** national_prefix_for_parsing (or national_prefix), anchored at the start */
  prefix: RegExp | undefined;
  transform: string | undefined;
  leading: RegExp | undefined;
  hasTypes: boolean;
  /** FIXED_LINE, then the other types in getNumberType's order; those without a pattern left out */
  types: { pattern: RegExp; lengths: Lengths }[];
}

// The accessors of libphonenumber-js's NumberingPlan that we read (not in its type declarations).
interface NumberingPlan {
  callingCode(): string;
  IDDPrefix(): string | undefined;
  nationalNumberPattern(): string;
  possibleLengths(): number[] | undefined;
  nationalPrefixForParsing(): string | undefined;
  nationalPrefixTransformRule(): string | undefined;
  leadingDigits(): string | undefined;
  hasTypes(): boolean;
  type(name: string): { pattern(): string; possibleLengths(): number[] | undefined } | undefined;
}
interface MetadataApi {
  selectNumberingPlan(countryOrCallingCode: string): void;
  numberingPlan: NumberingPlan;
  hasCountry(country: string): boolean;
  hasCallingCode(callingCode: string): boolean;
  getCountryCodesForCallingCode(callingCode: string): string[] | undefined;
}

const TYPES = ["FIXED_LINE", "MOBILE", "PREMIUM_RATE", "TOLL_FREE", "SHARED_COST", "VOIP", "PERSONAL_NUMBER", "PAGER", "UAN", "VOICEMAIL"];
const metadata = new Metadata() as unknown as MetadataApi;
const plans = new Map<string, Plan>();
const entirely = (pattern: string) => new RegExp(`^(?:${pattern})$`);

/** The numbering plan of a country ("FR") or a calling code ("33": its main country, or a non-geographic plan). */
function plan(key: string): Plan {
  let p = plans.get(key);
  if (p) return p;
  metadata.selectNumberingPlan(key);
  const n = metadata.numberingPlan;
  const idd = n.IDDPrefix();
  const prefix = n.nationalPrefixForParsing();
  const leading = n.leadingDigits();
  const types: Plan["types"] = [];
  if (n.hasTypes()) {
    for (const name of TYPES) {
      const t = n.type(name);
      if (t && t.pattern()) types.push({ pattern: entirely(t.pattern()), lengths: t.possibleLengths() });
    }
  }
  p = {
    callingCode: n.callingCode(),
    idd: idd ? new RegExp(idd) : undefined,
    national: entirely(n.nationalNumberPattern()),
    lengths: n.possibleLengths(),
    prefix: prefix ? new RegExp(`^(?:${prefix})`) : undefined,
    transform: n.nationalPrefixTransformRule(),
    leading: leading ? new RegExp(leading) : undefined,
    hasTypes: n.hasTypes(),
    types,
  };
  plans.set(key, p);
  return p;
}

/** getNumberType(...) !== undefined */
function hasType(p: Plan, nsn: string): boolean {
  if (!p.national.test(nsn)) return false;
  for (const t of p.types) if ((!t.lengths || t.lengths.includes(nsn.length)) && t.pattern.test(nsn)) return true;
  return false;
}

/** getCountryByCallingCode */
function countryFor(callingCode: string, nsn: string): string | undefined {
  const countries = metadata.getCountryCodesForCallingCode(callingCode);
  if (!countries) return undefined;
  if (countries.length === 1) return countries[0];
  for (const country of countries) {
    const p = plan(country);
    if (p.leading) {
      if (p.leading.exec(nsn)?.index === 0) return country;
    } else if (hasType(p, nsn)) return country;
  }
  return undefined;
}

/** checkNumberLength(nsn) without a type */
function lengthCheck(p: Plan, nsn: string): "possible" | "short" | "long" | "invalid" {
  const l = p.lengths;
  if (!l) return "possible";
  const n = nsn.length;
  if (l[0] === n) return "possible";
  if (l[0]! > n) return "short";
  if (l[l.length - 1]! < n) return "long";
  return l.indexOf(n, 1) >= 0 ? "possible" : "invalid";
}

/** extractNationalNumber: strips a national prefix (and carrier code) when that leaves a viable number. */
function nationalNumber(number: string, p: Plan): string {
  if (!number || !p.prefix) return number;
  const m = p.prefix.exec(number);
  if (!m) return number;
  const groups = m.length - 1;
  const captured = groups > 0 && m[groups];
  const stripped = p.transform && captured ? number.replace(p.prefix, p.transform) : number.slice(m[0].length);
  if (stripped === number) return number;
  if (p.national.test(number) && !p.national.test(stripped)) return number;
  if (p.lengths) {
    const country = countryFor(p.callingCode, stripped);
    const check = lengthCheck(country ? plan(country) : p, stripped);
    if (check === "short" || check === "invalid") return number;
  }
  return stripped;
}

const PLAIN = /^\(?\+?[0-9][0-9 ()./-]*$/;
const NON_DIGITS = /[^0-9]/g;

/**
 * The E.164 form of a valid number; undefined when libphonenumber-js would find it invalid;
 * NOT_HANDLED when the input is not plain and libphonenumber-js must read it.
 */
export function plainE164(text: string, region: string | undefined): string | undefined | typeof NOT_HANDLED {
  if (text.length > 250 || !PLAIN.test(text)) return NOT_HANDLED;
  const plus = text.includes("+");
  let digits = text.replace(NON_DIGITS, "");
  if (digits.length < 3) return NOT_HANDLED;
  if (region !== undefined && !metadata.hasCountry(region)) return NOT_HANDLED;

  let callingCode: string | undefined;
  let international = plus;
  let country: string | undefined;
  let p: Plan;
  if (!plus && region !== undefined) {
    const home = plan(region);
    // stripIddPrefix: "011 33 …" from the US is international; not when a 0 follows the prefix.
    const idd = home.idd?.exec(digits);
    const rest = idd && idd.index === 0 ? digits.slice(idd[0].length) : undefined;
    if (rest && rest[0] !== "0") {
      digits = rest;
      international = true;
    } else if (digits.startsWith(home.callingCode)) {
      // extractCountryCallingCodeFromInternationalNumberWithoutPlusSign: "33 6 12 …" from France.
      const shorter = digits.slice(home.callingCode.length);
      const whole = nationalNumber(digits, home);
      if ((!home.national.test(whole) && home.national.test(nationalNumber(shorter, home))) || lengthCheck(home, whole) === "long") {
        callingCode = home.callingCode;
        digits = shorter;
      }
    }
  }
  if (international) {
    if (digits[0] === "0") return undefined;
    for (let i = 1; i <= 3 && i <= digits.length; i++) {
      if (metadata.hasCallingCode(digits.slice(0, i))) {
        callingCode = digits.slice(0, i);
        digits = digits.slice(i);
        break;
      }
    }
    if (callingCode === undefined) return undefined;
    p = plan(callingCode);
  } else if (callingCode !== undefined) {
    p = plan(callingCode);
  } else {
    if (region === undefined) return undefined;
    country = region;
    p = plan(region);
    callingCode = p.callingCode;
  }
  if (!digits) return undefined;
  const nsn = nationalNumber(digits, p);
  const exact = countryFor(callingCode, nsn);
  if (exact) country = exact;
  if (nsn.length < 2 || nsn.length > 17) return undefined;
  // isValid: the plan of the country found, else of the calling code.
  const valid = plan(country ?? callingCode);
  const ok = valid.hasTypes ? hasType(valid, nsn) : valid.national.test(nsn);
  return ok ? `+${callingCode}${nsn}` : undefined;
}
