/** Where `cmf metadata export` writes when -j is not given: one file in the current directory. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultExportName, exportPath } from '../../../src/cmf/export-file.js';

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
