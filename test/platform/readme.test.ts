import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { permissionsTable } from '../../scripts/permissions-table.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('quick start is exactly npm install, npm start and npm test', () => {
    expect(readme).toMatch(/```sh\nnpm install\nnpm start\n```/);
    expect(readme).toMatch(/```sh\nnpm test\n```/);
  });

  it('holds the role table generated from the permission map (run `npm run docs:permissions`)', () => {
    const m = /<!-- permissions:start -->\n([\s\S]*)\n<!-- permissions:end -->/.exec(readme);
    expect(m?.[1]).toBe(permissionsTable());
  });
});
