/**
 * Prints the README's role table from ROUTE_ACCESS, the one place that decides
 * every route's permission. test/platform/readme.test.ts checks that the
 * README holds exactly this output, so the two cannot drift.
 *   node --import tsx scripts/permissions-table.ts
 */
import { type Access, ROLES, ROUTE_ACCESS, roleAtLeast } from '../src/platform/auth/roles.ts';

export function permissionsTable(): string {
  const header = `| operation | needs | ${ROLES.join(' | ')} |`;
  const rule = `| --- | --- | ${ROLES.map(() => ':-:').join(' | ')} |`;
  const cell = (access: Access, role: (typeof ROLES)[number]) => {
    if (access === 'public' || access === 'authenticated') return '✓';
    if (access === 'platform_admin') return '—';
    return roleAtLeast(role, access) ? '✓' : '';
  };
  const rows = Object.entries(ROUTE_ACCESS).map(
    ([op, access]) => `| \`${op}\` | ${access.replace('_', ' ')} | ${ROLES.map((r) => cell(access, r)).join(' | ')} |`,
  );
  return [header, rule, ...rows].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}` && !process.argv.includes('--write'))
  console.log(permissionsTable());

/** `--write`: replace the table between the README's permission markers. */
if (import.meta.url === `file://${process.argv[1]}` && process.argv.includes('--write')) {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const readme = readFileSync('README.md', 'utf8');
  const next = readme.replace(
    /<!-- permissions:start -->[\s\S]*<!-- permissions:end -->/,
    `<!-- permissions:start -->\n${permissionsTable()}\n<!-- permissions:end -->`,
  );
  writeFileSync('README.md', next);
}
