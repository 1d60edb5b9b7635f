import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { cloneProject, listFiles, trackedFiles } from './artifact-project.js';
import { runCmf, type CmfRun } from './cli.js';

/**
 * The round trip every remote must survive through the built binary, on a project made by
 * {@link loggedProject}: push, a no-op push, pull into an empty clone (byte-identical files),
 * and `-a` pulls of one file and one directory into another empty clone. `remoteObjects`
 * lists what the remote holds (relative DVC keys) when the test can see it.
 */
export async function expectRoundTrip(opts: {
  project: string;
  /** Where to put the clones. */
  root: string;
  env: Record<string, string>;
  remoteObjects?: () => Promise<string[]>;
}): Promise<void> {
  const { project, root, env } = opts;
  const cmf = (args: string[], cwd: string) => runCmf(args, { cwd, env });
  const cached = listFiles(join(project, '.dvc/cache'));

  const push = await cmf(['artifact', 'push', '-p', 'Test-env'], project);
  expect(push.stderr).toBe('');
  expect(push.code).toBe(0);
  expect(push.stdout).toMatch(
    new RegExp(`^${cached.length} uploaded .*, 0 already there, 0 failed`),
  );
  if (opts.remoteObjects) expect(await opts.remoteObjects()).toEqual(cached);
  const noop = await cmf(['artifact', 'push', '-p', 'Test-env', '--json'], project);
  expect(noop.code).toBe(0);
  expect(JSON.parse(noop.stdout)).toMatchObject({
    uploaded: 0,
    present: cached.length,
    bytes: 0,
    failed: [],
  });

  const full = join(root, 'clone-full');
  cloneProject(project, full);
  const pull = await cmf(['artifact', 'pull', '-p', 'Test-env'], full);
  expect(pull.stderr).toBe('');
  expect(pull.code).toBe(0);
  expect(listFiles(join(full, '.dvc/cache'))).toEqual(cached);
  for (const f of trackedFiles(project))
    expect(readFileSync(join(full, f)).equals(readFileSync(join(project, f))), f).toBe(true);

  const one = join(root, 'clone-one');
  cloneProject(project, one);
  const file = await cmf(
    ['artifact', 'pull', '-p', 'Test-env', '-a', 'data.xml.gz', '--json'],
    one,
  );
  expect(file.code).toBe(0);
  expect(JSON.parse(file.stdout)).toMatchObject({
    downloaded: 1,
    checkedOut: ['artifacts/data.xml.gz'],
  });
  expect(readFileSync(join(one, 'artifacts/data.xml.gz'))).toEqual(
    readFileSync(join(project, 'artifacts/data.xml.gz')),
  );
  const dir = await cmf(['artifact', 'pull', '-p', 'Test-env', '-a', 'artifacts/images'], one);
  expect(dir.code).toBe(0);
  expect(listFiles(join(one, 'artifacts/images'))).toEqual(
    listFiles(join(project, 'artifacts/images')),
  );
  // Nothing else was pulled (the .dvc files come with the git clone).
  const data = listFiles(join(one, 'artifacts')).filter((f) => !/(\.dvc|\.gitignore)$/.test(f));
  expect(data).toEqual(
    [
      'data.xml.gz',
      ...listFiles(join(project, 'artifacts/images')).map((f) => `images/${f}`),
    ].sort(),
  );
}

/** A clone of `project` whose `file` (relative) went through `edit`; nothing in its cache. */
export function editedClone(
  project: string,
  dst: string,
  file: string,
  edit: (text: string) => string,
): string {
  cloneProject(project, dst);
  const path = join(dst, file);
  const before = readFileSync(path, 'utf8');
  const after = edit(before);
  if (after === before) throw new Error(`editedClone: ${file} did not change`);
  writeFileSync(path, after);
  return dst;
}

/** A failed run: the exit code, the error's code in the --json error on stderr, and its hint. */
export function expectFailure(
  r: CmfRun,
  exitCode: number,
  code: string,
): { hint: string; message: string } {
  expect(r.code, r.stderr).toBe(exitCode);
  const err = JSON.parse(r.stderr).error as { code: string; hint: string; message: string };
  expect(err.code).toBe(code);
  return err;
}
