import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDvcConfig } from '../../../src/config/dvc-config.js';
import { IntegrityError } from '../../../src/errors/index.js';
import { readRegularFile, readRegularFileSync } from '../../../src/fs/regular-file.js';
import { readDvcFile } from '../../../src/hashing/dvcfile.js';
import { tempDir } from '../../helpers/tmp.js';

// Without O_NONBLOCK these reads block in open() for good: the timeout makes them fail.
const HANG = { timeout: 15_000 };

describe('readRegularFile', () => {
  it('reads a regular file; missing files keep their errno', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a'), 'text');
    expect(await readRegularFile(join(dir, 'a'), 'utf8')).toBe('text');
    expect(readRegularFileSync(join(dir, 'a'))).toEqual(Buffer.from('text'));
    await expect(readRegularFile(join(dir, 'b'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(() => readRegularFileSync(join(dir, 'b'))).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
  });

  it('refuses a FIFO, a socket and a directory with a typed error', HANG, async () => {
    const dir = await tempDir();
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    const server = createServer();
    await new Promise<void>((r) => server.listen(join(dir, 'sock'), r));
    try {
      for (const [name, kind] of [
        ['fifo', 'FIFO (named pipe)'],
        ['sock', 'socket'],
        ['.', 'directory'],
      ] as const) {
        const path = join(dir, name);
        const expected = { code: 'NOT_A_REGULAR_FILE', exitCode: 5, data: { path, kind } };
        await expect(readRegularFile(path, 'utf8')).rejects.toMatchObject(expected);
        let err: unknown;
        try {
          readRegularFileSync(path);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(IntegrityError);
        expect(err).toMatchObject(expected);
        expect((err as IntegrityError).hint).toContain(path);
      }
    } finally {
      server.close();
    }
  });

  it('a FIFO .dvc/config or .dvc file is a typed error, not a hang', HANG, async () => {
    const root = await tempDir();
    await mkdir(join(root, '.dvc'));
    execFileSync('mkfifo', [join(root, '.dvc', 'config'), join(root, 'a.csv.dvc')]);
    await expect(loadDvcConfig(root)).rejects.toMatchObject({
      code: 'NOT_A_REGULAR_FILE',
      exitCode: 4,
    });
    await expect(readDvcFile(join(root, 'a.csv.dvc'))).rejects.toMatchObject({
      code: 'NOT_A_REGULAR_FILE',
    });
  });
});
