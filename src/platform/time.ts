/** Clock access goes through a `Clock` so tests and jobs can control time. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

/** ISO 8601 UTC with milliseconds: fixed width, so it also sorts correctly as text. */
export const iso = (d: Date): string => d.toISOString();

/**
 * A lower bound given as RFC 3339 text (`?updated_since=`), as stored timestamps compare: `iso` of the same
 * instant, or of the next millisecond when the text is more precise than one and falls between two
 * (stored times have milliseconds, so `…13.3501Z` must not match a row at `…13.350Z`).
 */
export function isoAtOrAfter(text: string): string {
  const d = new Date(text);
  const extra = /\.\d{3}(\d+)/.exec(text)?.[1];
  return iso(extra && /[1-9]/.test(extra) ? new Date(d.getTime() + 1) : d);
}

export const addSeconds = (d: Date, seconds: number): Date => new Date(d.getTime() + seconds * 1000);
