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

  it('the artifact steps say the bytes moved, and those resumed as the artifact commands do', () => {
    const l = logger();
    const notes = { warnings: [], skipped: [], notPushed: [] };
    describeRepo(l, {
      pipeline: 'P',
      steps: [
        {
          step: 'artifact push',
          result: { ...notes, uploaded: 2, present: 1, remote: 'r', bytes: 3 << 20, resumed: 0 },
        },
        {
          step: 'artifact pull',
          result: {
            ...notes,
            deleted: [],
            repaired: [],
            downloaded: 1,
            present: 4,
            bytes: 12 << 20,
            resumed: 38 << 20,
          },
        },
      ],
    });
    expect(l.out).toEqual([
      'artifact push: 2 uploaded (3.0 MB), 1 already on r',
      'artifact pull: 1 downloaded (12.0 MB, 38.0 MB resumed), 4 already here',
    ]);
  });
});
