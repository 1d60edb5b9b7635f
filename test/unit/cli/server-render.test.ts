/** The human lines of metadata push and repo push/pull. */
import { describe, expect, it } from 'vitest';
import { describePush, describeRepo } from '../../../src/cli/server-render.js';
import { counted } from '../../../src/util/counted.js';
import type { MetadataPushResult } from '../../../src/server/metadata-push.js';

function logger(): {
  out: string[];
  err: string[];
  log: (s: string) => void;
  logToStderr: (s: string) => void;
} {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, log: (s) => out.push(s), logToStderr: (s) => err.push(s) };
}

const push = (executions: number): MetadataPushResult => ({
  pipeline: 'P',
  server: 'http://h',
  status: 'success',
  executions,
  uploads: [],
  missing: [],
});

describe('server-render', () => {
  it('counts in the singular for one', () => {
    expect([counted(0, 'stage'), counted(1, 'stage'), counted(2, 'stage')]).toEqual([
      '0 stages',
      '1 stage',
      '2 stages',
    ]);
    for (const [n, text] of [
      [1, 'SUCCESS: P pushed to http://h (1 execution sent)'],
      [3, 'SUCCESS: P pushed to http://h (3 executions sent)'],
    ] as const) {
      const l = logger();
      describePush(l, push(n));
      expect(l.out).toEqual([text]);
    }
  });

  it('a skipped git pull of repo push says why', () => {
    const l = logger();
    describeRepo(l, {
      pipeline: 'P',
      steps: [
        {
          step: 'git pull',
          result: {
            remote: 'cmf_origin',
            url: '/r.git',
            branch: 'main',
            pulled: false,
            output: '',
          },
        },
      ],
    });
    expect(l.out).toEqual(['git pull: skipped, branch main is not on cmf_origin yet (/r.git)']);
  });
});
