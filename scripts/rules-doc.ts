/**
 * Prints the rule table of docs/findings.md from the rule catalogue. test/core/rules/rules.test.ts checks
 * that the document holds exactly this output, so the two cannot drift.
 *   node --import tsx scripts/rules-doc.ts [--write]
 */
import { FRAMEWORKS, RULES } from '../src/core/rules/index.ts';

export function rulesDoc(): string {
  const short: Record<string, string> = { 'cis-aws-foundations': 'CIS', 'aws-fsbp': 'FSBP' };
  const rows = RULES.map((r) => {
    const controls = r.controls.map((c) => `${short[c.framework] ?? c.framework} ${c.control}`).join(', ');
    return `| \`${r.id}\` | ${r.severity} | ${r.title} | ${r.resource_types.map((t) => `\`${t}\``).join(', ')} | ${controls} |`;
  });
  const frameworks = FRAMEWORKS.map(
    (f) => `**${f.name} ${f.version}** (\`${f.id}\`): ${f.controls.map((c) => c.id).join(', ')}`,
  );
  return [
    '| rule | severity | title | node types | controls |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    ...frameworks.flatMap((f) => [f, '']),
  ]
    .join('\n')
    .trimEnd();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!process.argv.includes('--write')) console.log(rulesDoc());
  else {
    const { readFileSync, writeFileSync } = await import('node:fs');
    const doc = readFileSync('docs/findings.md', 'utf8');
    writeFileSync(
      'docs/findings.md',
      doc.replace(
        /<!-- rules:start -->[\s\S]*<!-- rules:end -->/,
        `<!-- rules:start -->\n${rulesDoc()}\n<!-- rules:end -->`,
      ),
    );
  }
}
