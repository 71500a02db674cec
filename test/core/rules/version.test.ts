/** The rule catalogue's version moves with its source (findings are evaluated again when it goes up). */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RULES_SOURCE_SHA256, RULES_VERSION } from '../../../src/core/rules/version.ts';

const RULES_DIR = fileURLToPath(new URL('../../../src/core/rules/', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Paths and contents (line endings normalised) of every rules file but version.ts, in path order. */
function sourceSha256(): string {
  const hash = createHash('sha256');
  for (const file of files(RULES_DIR)
    .map((f) => relative(RULES_DIR, f).split('\\').join('/'))
    .filter((f) => f !== 'version.ts')
    .sort()) {
    hash.update(`${file}\n${readFileSync(join(RULES_DIR, file), 'utf8').replace(/\r\n/g, '\n')}\n`);
  }
  return hash.digest('hex');
}

describe('rules version', () => {
  it('is recorded for the rules as they are (a change to src/core/rules bumps RULES_VERSION)', () => {
    const actual = sourceSha256();
    expect(
      actual,
      `src/core/rules changed: raise RULES_VERSION (now ${RULES_VERSION}) by one and set RULES_SOURCE_SHA256 to '${actual}' in src/core/rules/version.ts`,
    ).toBe(RULES_SOURCE_SHA256);
  });
});
