/**
 * Of some events, how many carried each identifier the mapping sends (an identifier it does not
 * send is absent), and how many carried two or more.
 */
export interface IdentifierCounts {
  email?: number;
  phone?: number;
  externalId?: number;
  twoOrMore: number;
}

/** Zero counts for the identifiers a mapping sends. */
export const identifierCounts = (mapping: { email?: unknown; phone?: unknown; external_id?: unknown }): IdentifierCounts => ({
  ...(mapping.email !== undefined ? { email: 0 } : {}),
  ...(mapping.phone !== undefined ? { phone: 0 } : {}),
  ...(mapping.external_id !== undefined ? { externalId: 0 } : {}),
  twoOrMore: 0,
});

/** Which identifiers an event carries. */
export type Carried = { email: boolean; phone: boolean; externalId: boolean };
export const carriedBy = (user: { email?: unknown; phone?: unknown; external_id?: unknown }): Carried => ({
  email: user.email !== undefined,
  phone: user.phone !== undefined,
  externalId: user.external_id !== undefined,
});

/** Counts an event's identifiers. */
export function countIdentifiers(ids: IdentifierCounts, carried: Carried): void {
  if (carried.email && ids.email !== undefined) ids.email++;
  if (carried.phone && ids.phone !== undefined) ids.phone++;
  if (carried.externalId && ids.externalId !== undefined) ids.externalId++;
  if (+carried.email + +carried.phone + +carried.externalId >= 2) ids.twoOrMore++;
}

const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`;

/** Match coverage as one line, e.g. "email 98.0%, phone 61.5%, two or more 59.5%". */
export function coverageText(ids: IdentifierCounts, events: number): string {
  if (events === 0) return "";
  const parts = [
    ...(ids.email !== undefined ? [`email ${percent(ids.email, events)}`] : []),
    ...(ids.phone !== undefined ? [`phone ${percent(ids.phone, events)}`] : []),
    ...(ids.externalId !== undefined ? [`external_id ${percent(ids.externalId, events)}`] : []),
  ];
  if (parts.length > 1) parts.push(`two or more ${percent(ids.twoOrMore, events)}`);
  return parts.join(", ");
}

/** Event names and their counts, most first: "Purchase 120, Lead 30". */
export const namesText = (byEvent: Record<string, number>): string =>
  Object.entries(byEvent)
    .sort(([, a], [, b]) => b - a)
    .map(([name, n]) => `${name} ${n.toLocaleString("en-US")}`)
    .join(", ");
