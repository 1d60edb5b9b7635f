import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript module of the bin folder, without type declarations
import { MIN_NODE, nodeTooOld } from '../../../bin/node-check.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
const root = fileURLToPath(new URL('../../../', import.meta.url));
const runJs = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
const libraryIndex = new URL('../../../dist/index.js', import.meta.url).href;

describe('Node.js version check of bin/run.js and the library', () => {
  it('is the engines range of package.json', () => {
    expect(pkg.engines.node).toBe(`>=${MIN_NODE.join('.')}`);
  });

  it('refuses versions below it, accepts it and anything newer', () => {
    for (const v of ['v20.20.2', '18.0.0', '22.11.9', '22.13.1', '21.99.0'])
      expect(nodeTooOld(v), v).toBe(true);
    for (const v of ['22.14.0', 'v22.18.1', '23.0.0', '24.21.0', '30.1.0'])
      expect(nodeTooOld(v), v).toBe(false);
  });

  it("names the checkout's scripts only in a checkout, not in an installed package", () => {
    const hint = (dir: string) => {
      const script = `import(${JSON.stringify(join(dir, 'dist/node-version.js'))}).then((m) =>
        console.log(m.nodeTooOldError('20.0.0', '/usr/bin/node').hint))`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
      });
      expect(r.stderr).toBe('');
      return r.stdout.trim();
    };
    expect(hint(root)).toMatch(
      /^Install Node\.js 22\.14 or newer \(24 recommended\)\. In this cmf checkout, 'scripts\/setup'/,
    );
    // An installed package: dist/ without the checkout's scripts/ beside it.
    const pkgDir = mkdtempSync(join(tmpdir(), 'cmf-package-'));
    try {
      for (const f of ['node-version.js', 'errors']) {
        cpSync(join(root, 'dist', f), join(pkgDir, 'dist', f), { recursive: true });
      }
      expect(hint(pkgDir)).toBe('Install Node.js 22.14 or newer (24 recommended).');
    } finally {
      rmSync(pkgDir, { recursive: true, force: true });
    }
  });

  // This machine's system Node is 20: the real thing, where it exists.
  const old = spawnSync('/usr/bin/node', ['-p', 'process.versions.node'], { encoding: 'utf8' });
  const oldNode = old.status === 0 && nodeTooOld(old.stdout.trim()) ? '/usr/bin/node' : undefined;
  it.skipIf(!oldNode)(
    'an older Node gets exit 4 and a hint instead of a crash (also with --json)',
    () => {
      const r = spawnSync(oldNode!, [runJs, 'artifact', 'list', '-p', 'P'], { encoding: 'utf8' });
      expect(r.status).toBe(4);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        /^Error: cmf needs Node\.js 22\.14 or newer; \/usr\/bin\/node is Node\.js 20\./,
      );
      expect(r.stderr).toMatch(/\nHint: Install Node.js 22.14 or newer \(24 recommended\)/);
      const j = spawnSync(oldNode!, [runJs, 'pipeline', 'list', '--json'], { encoding: 'utf8' });
      expect(j.status).toBe(4);
      expect(JSON.parse(j.stderr)).toMatchObject({
        status: 'error',
        error: { code: 'NODE_TOO_OLD' },
      });
    },
  );

  it.skipIf(!oldNode)(
    "the library, imported on an older Node, throws NODE_TOO_OLD before a dependency's TypeError",
    () => {
      const script = `import(${JSON.stringify(libraryIndex)}).then(
        () => console.log('loaded'),
        (e) => console.log(JSON.stringify({ name: e.name, code: e.code, hint: e.hint })))`;
      const r = spawnSync(oldNode!, ['--input-type=module', '-e', script], { encoding: 'utf8' });
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({ name: 'ConfigError', code: 'NODE_TOO_OLD' });
      expect(out.hint).toMatch(/scripts\/with-node node <script>/);
    },
  );
});
