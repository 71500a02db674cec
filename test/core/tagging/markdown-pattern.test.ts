import { describe, expect, it } from 'vitest';
import { formatValidation, validatePlan } from '../../../src/core/tagging/index.ts';
import { finopsPolicy, loadPlan, NOW } from './helpers.ts';

describe('markdown: rule text is shown literally', () => {
  it('escapes Markdown punctuation in patterns, so * and _ are not read as emphasis and \\. keeps its backslash', () => {
    const policy = finopsPolicy({
      tags: [
        { key: 'CostCenter', mandatory: true, valueType: 'REGEX', allowedRegex: '^[a-z]*-[0-9]*_x\\.y$', message: 'm' },
      ],
    });
    const md = formatValidation(validatePlan(loadPlan('aws.plan.json'), [policy], { now: NOW }), 'markdown');
    expect(md).toContain('| a value matching ^\\[a-z\\]\\*-\\[0-9\\]\\*\\_x\\\\.y$<br>m |');
  });
});
