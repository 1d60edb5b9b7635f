/** Where `cmf metadata export` writes when -j is not given: one file in the current directory. */
import { lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkExportTarget,
  defaultExportName,
  exportPath,
  writeExport,
} from '../../../src/cmf/export-file.js';
import { tempDir } from '../../helpers/tmp.js';

describe('export path', () => {
  it('keeps an ordinary pipeline name as cmflib does: <pipeline>.json', () => {
    expect(exportPath(undefined, 'Test-env', '/w')).toBe('/w/Test-env.json');
    expect(exportPath(undefined, ' v1.2 run ', '/w')).toBe('/w/v1.2 run.json');
  });

  it('makes any pipeline name one safe file name in the current directory', () => {
    expect(exportPath(undefined, '../../escape', '/w/p')).toBe('/w/p/___.._escape.json');
    expect(exportPath(undefined, 'a/b', '/w')).toBe('/w/a_b.json');
    expect(exportPath(undefined, '/etc/passwd', '/w')).toBe('/w/_etc_passwd.json');
    expect(defaultExportName('a\\b')).toBe('a_b.json');
    expect(defaultExportName('..')).toBe('__.json');
    expect(defaultExportName('.hidden')).toBe('_hidden.json');
    expect(defaultExportName('line\nbreak\0')).toBe('line_break_.json');
    const long = defaultExportName('é'.repeat(300));
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(255);
    expect(long).toMatch(/^é+\.json$/);
  });

  it('takes -j as given, relative to the current directory', () => {
    expect(exportPath('out/x', 'P', '/w')).toBe(join('/w', 'out/x.json'));
    expect(exportPath('../x.json', 'P', '/w/p')).toBe('/w/x.json');
  });
});

describe('export target checks', () => {
  it('-j dir/ (trailing slash) names a directory: refused, never dir/.json', async () => {
    const w = await tempDir();
    mkdirSync(join(w, 'artifacts'));
    const isDir = expect.objectContaining({ code: 'EXPORT_TARGET_IS_DIRECTORY', exitCode: 2 });
    expect(() => exportPath('artifacts/', 'P', w)).toThrow(isDir);
    expect(() => exportPath(' new-dir/ ', 'P', w)).toThrow(isDir);
    for (const dot of ['.', '..', 'artifacts/.', 'artifacts/..'])
      expect(() => exportPath(dot, 'P', w), dot).toThrow(isDir);
    expect(exportPath('.x', 'P', w)).toBe(join(w, '.x.json'));
    expect(() => checkExportTarget(exportPath('artifacts', 'P', w).slice(0, -5), false)).toThrow(
      isDir,
    );
  });

  it('a parent that is a file is said to be a file; a missing one missing', async () => {
    const w = await tempDir();
    writeFileSync(join(w, 'Test-env.json'), '{}');
    expect(() => checkExportTarget(exportPath('Test-env.json/x.json', 'P', w), false)).toThrow(
      expect.objectContaining({
        code: 'EXPORT_PARENT_NOT_DIRECTORY',
        message: `${join(w, 'Test-env.json')} is a file, not a directory`,
      }),
    );
    expect(() => checkExportTarget(exportPath('Test-env.json/a/b/x', 'P', w), false)).toThrow(
      expect.objectContaining({ code: 'EXPORT_PARENT_NOT_DIRECTORY' }),
    );
    expect(() => checkExportTarget(exportPath('no/dir/x', 'P', w), false)).toThrow(
      expect.objectContaining({ code: 'DIRECTORY_NOT_FOUND', exitCode: 3 }),
    );
    expect(() => checkExportTarget(exportPath('fine', 'P', w), false)).not.toThrow();
  });

  it('a symbolic link is written through (the link stays); a dangling one exists unless --force', async () => {
    const w = await tempDir();
    mkdirSync(join(w, 'store'));
    writeFileSync(join(w, 'store', 'real.json'), 'old');
    symlinkSync('store/real.json', join(w, 'live.json'));
    symlinkSync('store/new.json', join(w, 'dangling.json'));
    symlinkSync('nowhere/x.json', join(w, 'broken.json'));
    const exists = expect.objectContaining({ code: 'EXPORT_FILE_EXISTS' });
    for (const link of ['live.json', 'dangling.json'])
      expect(() => checkExportTarget(join(w, link), false), link).toThrow(exists);
    for (const link of ['live.json', 'dangling.json']) {
      checkExportTarget(join(w, link), true);
      await writeExport(join(w, link), `{"${link}":1}`);
      expect(lstatSync(join(w, link)).isSymbolicLink()).toBe(true);
    }
    expect(readFileSync(join(w, 'store', 'real.json'), 'utf8')).toBe('{"live.json":1}');
    expect(readFileSync(join(w, 'store', 'new.json'), 'utf8')).toBe('{"dangling.json":1}');
    expect(() => checkExportTarget(join(w, 'broken.json'), true)).toThrow(
      expect.objectContaining({ code: 'DIRECTORY_NOT_FOUND' }),
    );
  });
});
