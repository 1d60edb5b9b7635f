/**
 * Adding again an output that a `.dvc` file already tracks (spec/formats.md A2): a legacy
 * (DVC 2.x) output whose content still has its md5-dos2unix id stays legacy — `.dvc` file
 * untouched, object in the legacy cache layout (A3); a changed one switches to `md5`; and an
 * existing `.dvc` file is written over keeping the user's comments and key order.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { add } from '../../../src/hashing/add.js';
import { addMany } from '../../../src/hashing/add-many.js';
import { LocalCache } from '../../../src/hashing/cache.js';
import { HashState } from '../../../src/hashing/state.js';

/** `hello\r\nworld\r\n`: raw md5 and md5-dos2unix (A1.2 test vector). */
const CRLF = 'hello\r\nworld\r\n';
const CRLF_MD5 = '7ac062d8a84466e70d9b899c0821a51c';
const CRLF_LEGACY = '0f723ae7f9bf07744445e93ac5595156';
const A = '60b725f10c9c85c70d97880dfe8191b3'; // `a\n`
const B = '3b5d5c3712955042212316173ccf37be'; // `b\n`

const LEGACY_DVC =
  `# my comment\n` +
  `outs:\n- md5: ${CRLF_LEGACY}\n  size: 14\n  path: crlf.txt\n  desc: the tester's file\n`;

let repo: string;
let cache: LocalCache;
beforeEach(async () => {
  repo = await mkdtemp(join(tmpdir(), 'cmf-add-legacy-'));
  await mkdir(join(repo, '.dvc'));
  cache = new LocalCache(join(repo, '.dvc', 'cache'));
});
afterEach(async () => {
  await rm(repo, { recursive: true, force: true });
});

/** Every file under the cache, relative to it, sorted. */
async function cached(): Promise<string[]> {
  const root = join(repo, '.dvc', 'cache');
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

/** The tester's setup: a CRLF file, its DVC 2.x `.dvc` file, its object in the legacy layout. */
async function legacyCrlf(): Promise<void> {
  await writeFile(join(repo, 'crlf.txt'), CRLF);
  await writeFile(join(repo, 'crlf.txt.dvc'), LEGACY_DVC);
  await cache.addFile(join(repo, 'crlf.txt'), CRLF_LEGACY, { legacy: true });
}

const adders = {
  add: (path: string, state?: HashState) => add(path, { repoRoot: repo, cache, state }),
  addMany: async (path: string, state?: HashState) =>
    (await addMany([path], { repoRoot: repo, cache, state }))[0]!,
};

describe.each(Object.entries(adders))('%s of an output a .dvc file tracks', (_, addOne) => {
  it('keeps an unchanged legacy file legacy: .dvc file byte-identical, object in the legacy layout', async () => {
    await legacyCrlf();
    const state = HashState.open(repo);
    try {
      for (let i = 0; i < 2; i++) {
        const r = await addOne(join(repo, 'crlf.txt'), state);
        expect(r.out).toMatchObject({ md5: CRLF_LEGACY, size: 14, hashName: 'md5-dos2unix' });
        expect(r.dvcFilePath).toBe(join(repo, 'crlf.txt.dvc'));
        expect(r.objects).toEqual({ added: 0, existing: 1 });
        expect(await readFile(join(repo, 'crlf.txt.dvc'), 'utf8')).toBe(LEGACY_DVC);
        expect(await cached()).toEqual([`0f/${CRLF_LEGACY.slice(2)}`]);
      }
    } finally {
      state.close();
    }
    expect(await readFile(join(repo, '.gitignore'), 'utf8')).toBe('/crlf.txt\n');
  });

  it('puts the object of an unchanged legacy file into the legacy layout when it is missing', async () => {
    await legacyCrlf();
    await rm(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
    const r = await addOne(join(repo, 'crlf.txt'));
    expect(r.objects).toEqual({ added: 1, existing: 0 });
    expect(await cached()).toEqual([`0f/${CRLF_LEGACY.slice(2)}`]);
    // The legacy object holds the file's bytes as they are (CRLF), named by md5-dos2unix.
    expect(await readFile(cache.objectPath(CRLF_LEGACY, { legacy: true }), 'utf8')).toBe(CRLF);
    await cache.verify(CRLF_LEGACY, { legacy: true });
    expect(await readFile(join(repo, 'crlf.txt.dvc'), 'utf8')).toBe(LEGACY_DVC);
  });

  it('switches a changed legacy file to md5, keeping comments, key order and user keys', async () => {
    await legacyCrlf();
    await writeFile(join(repo, 'crlf.txt'), 'a\n');
    const r = await addOne(join(repo, 'crlf.txt'));
    expect(r.out).toMatchObject({ md5: A, size: 2, hashName: 'md5' });
    expect(await readFile(join(repo, 'crlf.txt.dvc'), 'utf8')).toBe(
      `# my comment\n` +
        `outs:\n- md5: ${A}\n  size: 2\n  hash: md5\n  path: crlf.txt\n  desc: the tester's file\n`,
    );
    expect(await cached()).toEqual([`0f/${CRLF_LEGACY.slice(2)}`, `files/md5/60/${A.slice(2)}`]);
  });

  it('switches a CRLF file whose raw md5 is its old legacy id (changed content) to md5', async () => {
    // The recorded id is the raw md5 of the CRLF text, not its md5-dos2unix: that is a change.
    await writeFile(join(repo, 'crlf.txt'), CRLF);
    await writeFile(join(repo, 'crlf.txt.dvc'), `outs:\n- md5: ${CRLF_MD5}\n  path: crlf.txt\n`);
    const r = await addOne(join(repo, 'crlf.txt'));
    expect(r.out).toMatchObject({ md5: CRLF_MD5, hashName: 'md5' });
    expect(await readFile(join(repo, 'crlf.txt.dvc'), 'utf8')).toBe(
      `outs:\n- md5: ${CRLF_MD5}\n  size: 14\n  hash: md5\n  path: crlf.txt\n`,
    );
    expect(await cached()).toEqual([`files/md5/7a/${CRLF_MD5.slice(2)}`]);
  });

  it('keeps the comments of a DVC 3 .dvc file re-added after a change, and leaves it alone when unchanged', async () => {
    // (A file written over has one space before a trailing comment: the YAML library's.)
    const text = (md5: string) =>
      `# tracked by hand\nouts:\n- md5: ${md5} # the hash\n  size: 2\n  hash: md5\n  path: a.txt\n  desc: mine # why\nmeta:\n  owner: me\n`;
    await writeFile(join(repo, 'a.txt'), 'a\n');
    await writeFile(join(repo, 'a.txt.dvc'), text(B));
    const r = await addOne(join(repo, 'a.txt'));
    expect(r.out).toMatchObject({ md5: A, hashName: 'md5', extra: { desc: 'mine' } });
    expect(await readFile(join(repo, 'a.txt.dvc'), 'utf8')).toBe(text(A));
    // Added again unchanged: not written at all (a formatting of its own is kept too).
    const indented = `outs:\n  - md5: ${A}  # same\n    size: 2\n    hash: md5\n    path: a.txt\n`;
    await writeFile(join(repo, 'a.txt.dvc'), indented);
    await addOne(join(repo, 'a.txt'));
    expect(await readFile(join(repo, 'a.txt.dvc'), 'utf8')).toBe(indented);
    // Changed again: an indented list stays indented; `isexec`, no longer true, goes.
    await writeFile(
      join(repo, 'a.txt.dvc'),
      indented.replace('    size', '    isexec: true\n    size'),
    );
    await writeFile(join(repo, 'a.txt'), 'b\n');
    await addOne(join(repo, 'a.txt'));
    expect(await readFile(join(repo, 'a.txt.dvc'), 'utf8')).toBe(
      indented.replace(A, B).replace('  # same', ' # same'),
    );
  });

  it('keeps an unchanged legacy directory legacy; a changed one switches to md5', async () => {
    await mkdir(join(repo, 'data', 'sub'), { recursive: true });
    await writeFile(join(repo, 'data', 'crlf.txt'), CRLF);
    await writeFile(join(repo, 'data', 'sub', 'b.txt'), 'b\n');
    // The manifest DVC 2 wrote: md5-dos2unix ids.
    const manifest = Buffer.from(
      `[{"md5": "${CRLF_LEGACY}", "relpath": "crlf.txt"}, {"md5": "${B}", "relpath": "sub/b.txt"}]`,
    );
    const { createHash } = await import('node:crypto');
    const dirOid = `${createHash('md5').update(manifest).digest('hex')}.dir`;
    const dvc = `outs:\n- md5: ${dirOid} # DVC 2\n  size: 16\n  nfiles: 2\n  path: data\n`;
    await writeFile(join(repo, 'data.dvc'), dvc);
    const r = await addOne(join(repo, 'data'));
    expect(r.out).toMatchObject({ md5: dirOid, hashName: 'md5-dos2unix' });
    expect(r.objects).toEqual({ added: 3, existing: 0 });
    expect(await readFile(join(repo, 'data.dvc'), 'utf8')).toBe(dvc);
    const legacyKey = (oid: string) => `${oid.slice(0, 2)}/${oid.slice(2)}`;
    expect(await cached()).toEqual([CRLF_LEGACY, B, dirOid].map(legacyKey).sort());
    await cache.verify(dirOid, { legacy: true });
    await cache.verify(CRLF_LEGACY, { legacy: true });

    await writeFile(join(repo, 'data', 'sub', 'b.txt'), 'a\n');
    const changed = await addOne(join(repo, 'data'));
    expect(changed.out).toMatchObject({ hashName: 'md5', size: 16, nfiles: 2 });
    expect(await readFile(join(repo, 'data.dvc'), 'utf8')).toBe(
      `outs:\n- md5: ${changed.out.md5} # DVC 2\n  size: 16\n  nfiles: 2\n  hash: md5\n  path: data\n`,
    );
    // The DVC 3 manifest lists the raw md5 of the CRLF file.
    expect(await cache.readManifest(changed.out.md5!)).toEqual([
      { md5: CRLF_MD5, relpath: 'crlf.txt' },
      { md5: A, relpath: 'sub/b.txt' },
    ]);
  });
});
