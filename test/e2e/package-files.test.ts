import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';

/** The files `npm pack` would put in the package (of the build already in dist/). */
function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
}

describe('the npm package', () => {
  it('holds the built command and library, the license, and nothing of the checkout', () => {
    const files = packedFiles();
    for (const f of [
      'LICENSE',
      'README.md',
      'package.json',
      'oclif.manifest.json',
      'bin/run.js',
      'bin/node-check.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/fast/fast-run.js',
    ]) {
      expect(files).toContain(f);
    }
    // Source maps name src/*.ts, which is not shipped; bin/cmf runs the checkout's .tools Node.
    const outside = files.filter(
      (f) => /^(src|test|bench|scripts|examples|\.tools)\//.test(f) || f.endsWith('.map'),
    );
    expect(outside).toEqual([]);
    expect(files).not.toContain('bin/cmf');
  });
});
