import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IntegrityError, NotFoundError } from '../../../src/errors/index.js';
import {
  parseDvcFile,
  readDvcFile,
  serializeDvcFile,
  updateDvcFileText,
  writeDvcFile,
} from '../../../src/hashing/dvcfile.js';
import type { DvcOut } from '../../../src/hashing/dvcfile.js';

const FILE_DVC = `outs:
- md5: 60b725f10c9c85c70d97880dfe8191b3
  size: 2
  hash: md5
  path: a.txt
`;
const DIR_DVC = `outs:
- md5: 849835d274483dc683eb416d6e4f887d.dir
  size: 4
  nfiles: 2
  hash: md5
  path: data
`;

describe('serializeDvcFile', () => {
  it('writes the A2 file example byte for byte', () => {
    const text = serializeDvcFile({
      outs: [{ md5: '60b725f10c9c85c70d97880dfe8191b3', size: 2, hashName: 'md5', path: 'a.txt' }],
    });
    expect(text).toBe(FILE_DVC);
  });

  it('writes the A2 directory example byte for byte', () => {
    const text = serializeDvcFile({
      outs: [
        {
          md5: '849835d274483dc683eb416d6e4f887d.dir',
          size: 4,
          nfiles: 2,
          hashName: 'md5',
          path: 'data',
        },
      ],
    });
    expect(text).toBe(DIR_DVC);
  });

  it('writes isexec only when true, before hash, and no hash key for legacy entries', () => {
    const exec = serializeDvcFile({
      outs: [{ md5: 'ab'.repeat(16), size: 1, isexec: true, hashName: 'md5', path: 'x' }],
    });
    expect(exec).toBe(
      `outs:\n- md5: ${'ab'.repeat(16)}\n  size: 1\n  isexec: true\n  hash: md5\n  path: x\n`,
    );
    const noexec = serializeDvcFile({
      outs: [{ md5: 'ab'.repeat(16), size: 1, isexec: false, hashName: 'md5', path: 'x' }],
    });
    expect(noexec).not.toContain('isexec');
    const legacy = serializeDvcFile({
      outs: [{ md5: 'ab'.repeat(16), size: 1, hashName: 'md5-dos2unix', path: 'x' }],
    });
    expect(legacy).toBe(`outs:\n- md5: ${'ab'.repeat(16)}\n  size: 1\n  path: x\n`);
  });

  it('quotes values YAML would read as numbers or booleans, and they read back as strings', () => {
    const digits = '12345678901234567890123456789012';
    const floaty = '1234567890123456789012345678e901';
    const text = serializeDvcFile({
      outs: [
        { md5: digits, size: 3, hashName: 'md5', path: 'true' },
        { md5: floaty, size: 3, hashName: 'md5', path: '2.0' },
      ],
    });
    expect(text).toContain(`- md5: '${digits}'`);
    expect(text).toContain(`- md5: '${floaty}'`);
    expect(text).toContain(`path: 'true'`);
    expect(text).toContain(`path: '2.0'`);
    const back = parseDvcFile(text);
    expect(back.outs.map((o) => [o.md5, o.path])).toEqual([
      [digits, 'true'],
      [floaty, '2.0'],
    ]);
  });

  it('keeps extra out keys and top-level keys in DVC order on a round trip', () => {
    const text = `desc: top level
outs:
- md5: 60b725f10c9c85c70d97880dfe8191b3
  size: 2
  hash: md5
  path: a.txt
  desc: the a file
  meta:
    owner: me
  remote: store
  push: false
  x-custom: 1
meta:
  k: v
`;
    const parsed = parseDvcFile(text);
    expect(parsed.outs[0]!.extra).toEqual({
      desc: 'the a file',
      meta: { owner: 'me' },
      remote: 'store',
      push: false,
      'x-custom': 1,
    });
    expect(parsed.extra).toEqual({ desc: 'top level', meta: { k: 'v' } });
    expect(serializeDvcFile(parsed)).toBe(text);
  });
});

describe('parseDvcFile', () => {
  it('reads DVC 3 entries', () => {
    expect(parseDvcFile(DIR_DVC)).toEqual({
      outs: [
        {
          md5: '849835d274483dc683eb416d6e4f887d.dir',
          size: 4,
          nfiles: 2,
          hashName: 'md5',
          path: 'data',
        },
      ],
    });
  });

  it('reads 2.x entries (no hash key) as md5-dos2unix', () => {
    const out = parseDvcFile(
      'outs:\n- md5: 0F723AE7F9BF07744445E93AC5595156\n  size: 12\n  path: hello.txt\n',
    ).outs[0]!;
    expect(out).toEqual({
      md5: '0f723ae7f9bf07744445e93ac5595156',
      size: 12,
      hashName: 'md5-dos2unix',
      path: 'hello.txt',
    });
  });

  it('reads 1.x entries without size and nfiles, and indented lists', () => {
    const out = parseDvcFile(
      'outs:\n  - md5: 849835d274483dc683eb416d6e4f887d.dir\n    path: data\n    cache: true\n',
    ).outs[0]!;
    expect(out).toEqual({
      md5: '849835d274483dc683eb416d6e4f887d.dir',
      hashName: 'md5-dos2unix',
      path: 'data',
      extra: { cache: true },
    });
  });

  it('keeps every digit of an unquoted all-digit md5', () => {
    const digits = '01234567890123456789012345678901';
    const out = parseDvcFile(`outs:\n- md5: ${digits}\n  hash: md5\n  path: x\n`).outs[0]!;
    expect(out.md5).toBe(digits);
  });

  it('treats an empty md5 as no hash', () => {
    const out = parseDvcFile(`outs:\n- md5: ''\n  path: x\n`).outs[0]!;
    expect(out.md5).toBeUndefined();
  });

  it('reports unreadable YAML as IntegrityError with the line number', () => {
    const text = 'outs:\n- md5: abc\n  path: [x\n';
    let err: unknown;
    try {
      parseDvcFile(text, 'x.dvc');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as IntegrityError).message).toMatch(/^x\.dvc:\d+: unreadable YAML/);
    expect((err as IntegrityError).data?.line).toBeGreaterThanOrEqual(3);
  });

  it('rejects duplicate keys', () => {
    expect(() => parseDvcFile('outs:\n- path: a\n  path: b\n', 'd.dvc')).toThrow(IntegrityError);
  });

  it.each([
    ['a scalar document', 'just text\n', /d\.dvc:1: expected a mapping/],
    ['an empty document', '', /d\.dvc: expected a mapping/],
    ['outs not a list', 'outs: a\n', /"outs" must be a list/],
    ['an out that is not a mapping', 'outs:\n- a\n', /outs\[0\] must be a mapping/],
    [
      'an out without path',
      'outs:\n- md5: 60b725f10c9c85c70d97880dfe8191b3\n',
      /outs\[0\] has no "path"/,
    ],
    ['a bad size', 'outs:\n- size: -1\n  path: a\n', /outs\[0\]\.size/],
    ['a bad md5', 'outs:\n- md5: [1]\n  path: a\n', /outs\[0\]\.md5/],
    ['an unknown hash', 'outs:\n- md5: abcd\n  hash: sha256\n  path: a\n', /not supported/],
  ])('rejects %s naming the file', (_name, text, message) => {
    expect(() => parseDvcFile(text, 'd.dvc')).toThrow(IntegrityError);
    expect(() => parseDvcFile(text, 'd.dvc')).toThrow(message);
  });
});

describe('readDvcFile / writeDvcFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cmf-dvcfile-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes atomically, keeps the mode of an existing file, and reads back', async () => {
    const path = join(dir, 'a.txt.dvc');
    const file = parseDvcFile(FILE_DVC);
    await writeDvcFile(path, file);
    expect(await readFile(path, 'utf8')).toBe(FILE_DVC);
    await chmod(path, 0o640);
    await writeDvcFile(path, parseDvcFile(DIR_DVC));
    expect((await stat(path)).mode & 0o777).toBe(0o640);
    expect(await readDvcFile(path)).toEqual(parseDvcFile(DIR_DVC));
  });

  it('missing file is NotFoundError; bad file names the path', async () => {
    await expect(readDvcFile(join(dir, 'nope.dvc'))).rejects.toBeInstanceOf(NotFoundError);
    const bad = join(dir, 'bad.dvc');
    await writeFile(bad, 'outs: 3\n');
    await expect(readDvcFile(bad)).rejects.toThrow(bad);
  });
});

describe('serializeDvcFile fast path', () => {
  it('writes what the YAML document writes, for plain and tricky names and hashes', async () => {
    const { Document } = await import('yaml');
    const viaDocument = (
      md5: string,
      path: string,
      size?: number,
      nfiles?: number,
      isexec?: boolean,
    ): string => {
      const out: Record<string, unknown> = { md5 };
      if (size !== undefined) out.size = size;
      if (nfiles !== undefined) out.nfiles = nfiles;
      if (isexec) out.isexec = true;
      out.hash = 'md5';
      out.path = path;
      return new Document({ outs: [out] }).toString({ indentSeq: false, singleQuote: true });
    };
    const paths = [
      'f000.csv',
      'data',
      'Model_v2.pkl',
      'a-b.c',
      'yes',
      'No',
      'null',
      'true',
      'inf',
      'x'.repeat(70),
      '_x',
      'ON',
      'n',
      'y.csv',
      '1.csv',
      '0x1F',
      'a b',
      'a:b',
      'é.csv',
      '.hidden',
    ];
    const md5s = [
      '60b725f10c9c85c70d97880dfe8191b3',
      '12345678901234567890123456789012',
      '1234567890123456789012345678901e',
      'abcdef00000000000000000000000000.dir',
      '00000000000000000000000000000000.dir',
    ];
    for (const path of paths) {
      for (const md5 of md5s) {
        for (const [size, nfiles, isexec] of [
          [2, undefined, false],
          [0, 3, false],
          [5, undefined, true],
          [undefined, undefined, false],
        ] as const) {
          const out: DvcOut = { md5, path, hashName: 'md5' };
          if (size !== undefined) out.size = size;
          if (nfiles !== undefined) out.nfiles = nfiles;
          if (isexec) out.isexec = true;
          expect([path, md5, serializeDvcFile({ outs: [out] })]).toEqual([
            path,
            md5,
            viaDocument(md5, path, size, nfiles, isexec),
          ]);
        }
      }
    }
  });
});

describe('updateDvcFileText (writing over an existing .dvc file, as DVC applies a diff)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cmf-dvcfile-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const A = '60b725f10c9c85c70d97880dfe8191b3';
  const next = (text: string, change: Partial<DvcOut>) => {
    const file = parseDvcFile(text);
    return updateDvcFileText(text, { ...file, outs: [{ ...file.outs[0]!, ...change }] });
  };

  it('is undefined when the data does not change, whatever the formatting', () => {
    const text = `# note\nouts:   # the outputs\n  - md5: ${A}\n    size: 2\n    hash: md5\n    path: 'a.txt'\n`;
    expect(updateDvcFileText(text, parseDvcFile(text))).toBeUndefined();
    expect(updateDvcFileText(FILE_DVC, parseDvcFile(FILE_DVC))).toBeUndefined();
  });

  it('replaces changed values in place, keeping comments, user keys and their order', () => {
    const text =
      `desc: top  # first\nouts:\n# the one output\n- path: a.txt\n  md5: ${A} # hash\n` +
      `  size: 2\n  isexec: true\n  hash: md5\n  remote: store\nmeta: {owner: me}\n`;
    expect(
      next(text, { md5: '12345678901234567890123456789012', size: 3, isexec: undefined }),
    ).toBe(
      `desc: top # first\nouts:\n# the one output\n- path: a.txt\n` +
        `  md5: '12345678901234567890123456789012' # hash\n  size: 3\n  hash: md5\n` +
        `  remote: store\nmeta: { owner: me }\n`,
    );
  });

  it('inserts new keys where DVC writes them: hash before path, nfiles after size', () => {
    const legacy = `outs:\n- md5: ${A}\n  size: 2\n  path: a.txt\n  desc: mine\n`;
    expect(next(legacy, { hashName: 'md5' })).toBe(
      `outs:\n- md5: ${A}\n  size: 2\n  hash: md5\n  path: a.txt\n  desc: mine\n`,
    );
    expect(next(legacy, { md5: `${A}.dir`, nfiles: 1, hashName: 'md5' })).toBe(
      `outs:\n- md5: ${A}.dir\n  size: 2\n  nfiles: 1\n  hash: md5\n  path: a.txt\n  desc: mine\n`,
    );
  });

  it('writes with writeDvcFile only when something changed', async () => {
    const path = join(dir, 'a.txt.dvc');
    const text = `# mine\n${FILE_DVC}`;
    await writeFile(path, text);
    const file = parseDvcFile(text);
    expect(await writeDvcFile(path, file, text)).toBe(false);
    expect(await writeDvcFile(path, { outs: [{ ...file.outs[0]!, size: 9 }] }, text)).toBe(true);
    expect(await readFile(path, 'utf8')).toBe(`# mine\n${FILE_DVC.replace('size: 2', 'size: 9')}`);
  });
});
