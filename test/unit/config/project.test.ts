import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  findProjectRoot,
  requireProjectRoot,
  resolveMlmdPath,
} from '../../../src/config/project.js';
import { tempDir } from '../../helpers/tmp.js';

async function project(): Promise<{ root: string; sub: string }> {
  const root = await tempDir();
  await writeFile(join(root, '.cmfconfig'), '[cmf]\nserver-url = http://127.0.0.1:80\n');
  const sub = join(root, 'src', 'stage');
  await mkdir(sub, { recursive: true });
  return { root, sub };
}

describe('project root', () => {
  it('is found by walking up from a sub-directory', async () => {
    const { root, sub } = await project();
    expect(findProjectRoot(sub, {})).toBe(root);
    expect(requireProjectRoot(sub, {})).toBe(root);
  });

  it('honours CONFIG_FILE for the file name', async () => {
    const root = await tempDir();
    await writeFile(join(root, 'my.cfg'), '[cmf]\n');
    expect(findProjectRoot(root, {})).toBeUndefined();
    expect(findProjectRoot(root, { CONFIG_FILE: 'my.cfg' })).toBe(root);
  });

  it('outside a project: a config error that says how to initialise', async () => {
    const dir = await tempDir();
    expect(findProjectRoot(dir, {})).toBeUndefined();
    expect(() => requireProjectRoot(dir, {})).toThrow(/cmf is not configured/);
    try {
      requireProjectRoot(dir, {});
    } catch (err) {
      expect(err).toMatchObject({ code: 'CMF_NOT_CONFIGURED', exitCode: 4 });
      expect((err as { hint: string }).hint).toMatch(/cmf init/);
    }
  });
});

describe('resolveMlmdPath', () => {
  it('takes -f relative to the working directory', async () => {
    const { sub } = await project();
    expect(resolveMlmdPath('x/mlmd', sub, {})).toBe(join(sub, 'x', 'mlmd'));
  });

  it('prefers ./mlmd, then the project root mlmd, then ./mlmd as the default', async () => {
    const { root, sub } = await project();
    expect(resolveMlmdPath(undefined, sub, {})).toBe(join(sub, 'mlmd'));
    await writeFile(join(root, 'mlmd'), '');
    expect(resolveMlmdPath(undefined, sub, {})).toBe(join(root, 'mlmd'));
    await writeFile(join(sub, 'mlmd'), '');
    expect(resolveMlmdPath(undefined, sub, {})).toBe(join(sub, 'mlmd'));
  });
});
