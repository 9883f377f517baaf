/** Schedules are five-field cron expressions (UTC) or one of these keywords. */
export const SCHEDULE_KEYWORDS = { hourly: "0 * * * *", daily: "0 0 * * *", weekly: "0 0 * * 0" } as const;

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS, offset: 1 },
  { name: "day of week", min: 0, max: 7, names: DAYS, offset: 0 },
] as const;

function atom(text: string, field: (typeof FIELDS)[number]): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  if ("names" in field) {
    const i = field.names.indexOf(text.toUpperCase());
    if (i >= 0) return i + field.offset;
  }
  return undefined;
}

/** Returns why `expression` is not a valid schedule, or undefined when it is. */
export function scheduleProblem(expression: string): string | undefined {
  if (expression in SCHEDULE_KEYWORDS) return undefined;
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) {
    return `a schedule is a 5-field cron expression (minute hour day-of-month month day-of-week, UTC) or one of ${Object.keys(SCHEDULE_KEYWORDS).join(" / ")}; found ${parts.length} field${parts.length === 1 ? "" : "s"}`;
  }
  for (const [i, part] of parts.entries()) {
    const field = FIELDS[i]!;
    for (const item of part.split(",")) {
      const [range, step, extra] = item.split("/");
      if (extra !== undefined || range === undefined || range === "") return `invalid ${field.name} field`;
      if (step !== undefined && !(/^\d+$/.test(step) && Number(step) > 0)) return `invalid step in the ${field.name} field`;
      // A step past the field's values would fire once at most: surely not what was meant.
      if (step !== undefined && Number(step) > field.max) return `a step in the ${field.name} field is at most ${field.max}`;
      if (range === "*") continue;
      const bounds = range.split("-");
      if (bounds.length > 2) return `invalid range in the ${field.name} field`;
      const values = bounds.map((b) => atom(b, field));
      for (const v of values) {
        if (v === undefined || v < field.min || v > field.max) {
          return `the ${field.name} field takes values from ${field.min} to ${field.max}`;
        }
      }
      if (values.length === 2 && values[0]! > values[1]!) return `a range in the ${field.name} field runs backwards`;
    }
  }
  return undefined;
}

/** The cron expression a schedule stands for, with whitespace normalised (for workflow files). */
export function scheduleToCron(schedule: string): string {
  const keyword = SCHEDULE_KEYWORDS[schedule as keyof typeof SCHEDULE_KEYWORDS];
  return keyword ?? schedule.trim().split(/\s+/).join(" ");
}
