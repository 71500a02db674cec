/**
 * A per-process cache of one value per tenant (the path tracer's network
 * model), keyed by the tenant's inventory version.
 *
 * - A request knows the version it saw (`tenants.inventory_version`, read
 *   with the tenant for every request) and accepts any cached value at least
 *   that new, so an unchanged inventory is never reloaded.
 * - Concurrent requests for a tenant share one load (after an ingest, ten
 *   traces arriving together build the model once).
 * - `invalidate` (on `inventory.changed`) drops an older value at once rather
 *   than waiting for the next request to notice the new version.
 * - Bounded: least recently used tenants are evicted beyond `maxTenants`.
 */

export interface Versioned {
  /** The inventory version the value was built from. */
  version: number;
}

export interface ModelCacheStats {
  /** Tenants with a value in memory. */
  tenants: number;
  /** Loads started (each one reads the inventory and builds a model). */
  loads: number;
  hits: number;
  invalidations: number;
  evictions: number;
}

interface Flight<V> {
  promise: Promise<V>;
  /** An inventory.changed seen while loading: a result older than this is returned but not kept. */
  staleBelow: number;
}

export interface ModelCache<V extends Versioned> {
  /** The tenant's value built from version `atLeast` or newer, loading it when needed. */
  get(tenantId: string, atLeast: number): Promise<V>;
  /** The cached value if it is at least that new, without loading. */
  peek(tenantId: string, atLeast: number): V | undefined;
  invalidate(tenantId: string, version: number): void;
  stats(): ModelCacheStats;
  clear(): void;
}

export function createModelCache<V extends Versioned>(o: {
  load: (tenantId: string) => Promise<V>;
  maxTenants: number;
}): ModelCache<V> {
  const max = Math.max(1, o.maxTenants);
  // A Map iterates in insertion order: re-inserting on use makes the first key the least recently used.
  const entries = new Map<string, V>();
  const flights = new Map<string, Flight<V>>();
  const counts = { loads: 0, hits: 0, invalidations: 0, evictions: 0 };

  function keep(tenantId: string, value: V): void {
    const current = entries.get(tenantId);
    if (current && current.version > value.version) return;
    entries.delete(tenantId);
    entries.set(tenantId, value);
    while (entries.size > max) {
      const oldest = entries.keys().next().value as string;
      entries.delete(oldest);
      counts.evictions++;
    }
  }

  function startLoad(tenantId: string): Flight<V> {
    counts.loads++;
    const flight: Flight<V> = { promise: Promise.resolve() as unknown as Promise<V>, staleBelow: 0 };
    flight.promise = o
      .load(tenantId)
      .then((value) => {
        if (value.version >= flight.staleBelow) keep(tenantId, value);
        return value;
      })
      .finally(() => {
        if (flights.get(tenantId) === flight) flights.delete(tenantId);
      });
    flights.set(tenantId, flight);
    return flight;
  }

  function peek(tenantId: string, atLeast: number): V | undefined {
    const hit = entries.get(tenantId);
    if (!hit || hit.version < atLeast) return undefined;
    entries.delete(tenantId);
    entries.set(tenantId, hit);
    return hit;
  }

  return {
    peek,
    async get(tenantId, atLeast) {
      for (let attempt = 0; ; attempt++) {
        const hit = peek(tenantId, atLeast);
        if (hit) {
          counts.hits++;
          return hit;
        }
        const value = await (flights.get(tenantId) ?? startLoad(tenantId)).promise;
        // A load already under way may have read the inventory before this request's
        // version was committed: then load once more. Never loop: a second answer stands.
        if (value.version >= atLeast || attempt > 0) return value;
      }
    },
    invalidate(tenantId, version) {
      const current = entries.get(tenantId);
      if (current && current.version < version) {
        entries.delete(tenantId);
        counts.invalidations++;
      }
      const flight = flights.get(tenantId);
      if (flight) flight.staleBelow = Math.max(flight.staleBelow, version);
    },
    stats: () => ({ tenants: entries.size, ...counts }),
    clear() {
      entries.clear();
    },
  };
}
