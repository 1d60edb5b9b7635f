/** The -t checks metadata push and repo push make before anything is sent. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors/index.js';
import { checkTensorboardUpload } from '../../../src/server/tensorboard-check.js';
import { tempDir } from '../../helpers/tmp.js';

describe('checkTensorboardUpload', () => {
  it('accepts an existing file or directory, and a team/project pipeline name', async () => {
    const dir = await tempDir();
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logs/events.0'), 'e');
    expect(() => checkTensorboardUpload(dir, 'logs', 'team/project')).not.toThrow();
    expect(() => checkTensorboardUpload(dir, 'logs/events.0', 'Test-env')).not.toThrow();
  });

  it('refuses a missing path (exit 2) and a name the server refuses as a directory', async () => {
    const dir = await tempDir();
    mkdirSync(join(dir, 'logs'));
    expect(() => checkTensorboardUpload(dir, 'nowhere', 'P')).toThrow(
      /Invalid tensorboard logs path: nowhere/,
    );
    for (const name of ['a/../b', '../x', '/abs', 'a//b', '..']) {
      let err: unknown;
      try {
        checkTensorboardUpload(dir, 'logs', name);
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(UsageError);
      expect((err as UsageError).code).toBe('TENSORBOARD_PIPELINE_NAME');
      expect((err as UsageError).exitCode).toBe(2);
      expect((err as UsageError).hint).toMatch(/without -t/);
    }
  });
});
