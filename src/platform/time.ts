/** Clock access goes through a `Clock` so tests and jobs can control time. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

/** ISO 8601 UTC with milliseconds: fixed width, so it also sorts correctly as text. */
export const iso = (d: Date): string => d.toISOString();

export const addSeconds = (d: Date, seconds: number): Date => new Date(d.getTime() + seconds * 1000);
