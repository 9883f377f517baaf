import { relationName } from "@ferry/warehouse";
import { eventLabel, type SyncPlan } from "./compile.js";

export interface FieldChange {
  field: string;
  before: string | null;
  after: string | null;
}

export interface PlanDiff {
  added: SyncPlan[];
  removed: SyncPlan[];
  changed: { before: SyncPlan; after: SyncPlan; changes: FieldChange[] }[];
  unchanged: string[];
}

/** The fields a reviewer cares about, flattened to comparable text. */
function facts(plan: SyncPlan): Record<string, string> {
  const out: Record<string, string> = {
    event: eventLabel(plan.event),
    "destination.advertiser_id": plan.destination.advertiserId,
    "destination.event_set_id": plan.destination.eventSetId ?? "(from the advertiser)",
    "destination.access_token_env": plan.destination.accessTokenEnv,
    "destination.test_event_code": plan.destination.testEventCode ?? "(none)",
    "destination.batch_size": String(plan.destination.batchSize),
    "destination.max_event_age_days": String(plan.destination.maxEventAgeDays),
    "source.warehouse": plan.warehouse.name,
    [`source.${plan.source.kind}`]: plan.source.text.trim(),
    ...(plan.source.kind === "dbt_model" ? { "source.relation": relationName(plan.source.relation) } : {}),
    "source.primary_key": plan.extraction.primaryKey.join(", "),
    schedule: plan.schedule.expression,
    "warnings.enabled": String(plan.warnings.enabled),
    "warnings.max_rejected_percent": String(plan.warnings.maxRejectedPercent),
  };
  for (const m of plan.mapping) out[`mapping.${m.field}`] = "column" in m.from ? m.from.column : `const ${JSON.stringify(m.from.const)}`;
  return out;
}

/** What a change of activation files changes, activation by activation (dbt's state:modified). Pure. */
export function diffPlans(base: readonly SyncPlan[], head: readonly SyncPlan[]): PlanDiff {
  const before = new Map(base.map((p) => [p.activation, p]));
  const after = new Map(head.map((p) => [p.activation, p]));
  const diff: PlanDiff = { added: [], removed: [], changed: [], unchanged: [] };
  for (const [name, plan] of after) {
    const old = before.get(name);
    if (!old) {
      diff.added.push(plan);
      continue;
    }
    if (old.contentHash === plan.contentHash) {
      diff.unchanged.push(name);
      continue;
    }
    const a = facts(old);
    const b = facts(plan);
    const changes = [...new Set([...Object.keys(a), ...Object.keys(b)])]
      .filter((field) => a[field] !== b[field])
      .map((field) => ({ field, before: a[field] ?? null, after: b[field] ?? null }));
    diff.changed.push({ before: old, after: plan, changes });
  }
  for (const [name, plan] of before) if (!after.has(name)) diff.removed.push(plan);
  const byName = (x: { activation: string }, y: { activation: string }) => x.activation.localeCompare(y.activation);
  diff.added.sort(byName);
  diff.removed.sort(byName);
  diff.changed.sort((x, y) => byName(x.after, y.after));
  diff.unchanged.sort();
  return diff;
}
