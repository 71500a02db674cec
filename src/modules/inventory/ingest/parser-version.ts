/**
 * A digest of the code that turns an input into rows: the parsers, the inventory and network types
 * they fill, and the ids and content hashes. A job reuses an earlier job's outcome for the same
 * input only when that job ran the same code, so that after an upgrade which reads a document
 * differently (or reads more of it) the same input is ingested again instead of keeping old rows.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCES = [
  '../../../core/ingest/',
  '../../../core/inventory/',
  '../../../core/network/',
  '../identity.ts',
  './session.ts',
];

let version: string | null = null;

/** 16 hex digits, computed once per process from the source files (or, when they cannot be read, a value of this process only). */
export function parserVersion(): string {
  if (version !== null) return version;
  const digest = createHash('sha256');
  const add = (path: string) => {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) add(join(path, name));
      return;
    }
    // By name and content, not by where the project is installed.
    digest.update(`${basename(path)}\0`);
    digest.update(readFileSync(path));
  };
  try {
    for (const source of SOURCES) add(fileURLToPath(new URL(source, import.meta.url)));
    version = digest.digest('hex').slice(0, 16);
  } catch {
    // The sources cannot be read (a packaged build): a version of this process only, so nothing made
    // by another process is reused.
    version = `process-${randomUUID()}`;
  }
  return version;
}
