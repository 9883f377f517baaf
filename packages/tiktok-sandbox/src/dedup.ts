/** TikTok deduplicates an event_id within an event set and event name for 48 hours. */
const DEDUP_SECONDS = 48 * 3600;

/** When each event_id was first seen, by deduplication scope (event set and event name). */
export class Deduplication {
  private readonly scopes = new Map<string, Map<string, number>>();

  /** Whether the event is a duplicate; if not, it counts as seen at `at` from now on. */
  duplicate(eventSetId: string, name: unknown, id: string, at: number): boolean {
    const scope = `${eventSetId}\u0000${String(name)}`;
    let seen = this.scopes.get(scope);
    if (!seen) this.scopes.set(scope, (seen = new Map()));
    const first = seen.get(id);
    if (first !== undefined && at - first < DEDUP_SECONDS) return true;
    seen.set(id, at);
    return false;
  }

  /** The event_ids accepted, in the order first seen. */
  ids(): string[] {
    return [...this.scopes.values()].flatMap((seen) => [...seen.keys()]);
  }

  clear(): void {
    this.scopes.clear();
  }
}
