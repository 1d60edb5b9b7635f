import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addToGitignore,
  DVCIGNORE_HEADER,
  ensureDvcSkeleton,
  gitignoreEntry,
  removeFromGitignore,
} from '../../../src/hashing/gitignore.js';

let dir: string;
const gi = () => join(dir, '.gitignore');
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cmf-gitignore-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('gitignoreEntry', () => {
  it('anchors the name and escapes [ ] ! * # ? only', () => {
    expect(gitignoreEntry('data')).toBe('/data');
    expect(gitignoreEntry('a[1]!*#?.txt')).toBe('/a\\[1\\]\\!\\*\\#\\?.txt');
    expect(gitignoreEntry('#!x')).toBe('/\\#\\!x');
    expect(gitignoreEntry('sp ace\té')).toBe('/sp ace\té');
  });
  it('escapes what git reads otherwise: a backslash, trailing spaces (not tabs)', () => {
    expect(gitignoreEntry('back\\slash')).toBe('/back\\\\slash');
    expect(gitignoreEntry('trail  ')).toBe('/trail\\ \\ ');
    expect(gitignoreEntry(' lead')).toBe('/ lead');
    expect(gitignoreEntry('tab\t')).toBe('/tab\t');
  });
  it('refuses a name with a line break (UsageError)', () => {
    for (const name of ['new\nline', 'cr\r', '\r\n']) {
      expect(() => gitignoreEntry(name)).toThrow(
        expect.objectContaining({ code: 'PATH_HAS_LINE_BREAK', exitCode: 2 }),
      );
    }
  });
  it('makes git ignore exactly the named file (git check-ignore)', async () => {
    const names = [
      'star*.txt',
      'q?.txt',
      'br[ack]et.txt',
      '#hash.txt',
      '!bang.txt',
      'trail ',
      'two  ',
      'back\\slash.txt',
      'end\\',
      'sp ace.txt',
      'tab\there.txt',
      'tabend\t',
      'quote"s.txt',
      'a:b.txt',
      'uni\u00e9.txt',
    ];
    // Files git must not ignore: what the unescaped patterns would have matched.
    const others = ['starX.txt', 'qX.txt', 'brkt.txt', 'trail', 'two', 'backslash.txt', 'tab'];
    execFileSync('git', ['init', '-q', dir]);
    for (const n of [...names, ...others]) await writeFile(join(dir, n), 'x');
    for (const n of names) await addToGitignore(dir, n);
    const ignored = (paths: string[]) => {
      const out = spawnSync(
        'git',
        ['-c', 'core.quotePath=false', 'check-ignore', '-z', '--stdin'],
        {
          cwd: dir,
          input: paths.join('\0'),
        },
      ).stdout.toString();
      return out.split('\0').filter((p) => p !== '');
    };
    expect(ignored(names).sort()).toEqual([...names].sort());
    expect(ignored(others)).toEqual([]);
    // And each line is removed again.
    for (const n of names) expect((await removeFromGitignore(dir, n)).changed).toBe(true);
    await expect(stat(gi())).rejects.toMatchObject({ code: 'ENOENT' });
  });
  it('refuses paths', () => {
    expect(() => gitignoreEntry('a/b')).toThrow(TypeError);
  });
});

describe('addToGitignore', () => {
  it('creates a new file with the entry and a newline', async () => {
    const r = await addToGitignore(dir, 'data');
    expect(r).toEqual({ path: gi(), entry: '/data', changed: true });
    expect(await readFile(gi(), 'utf8')).toBe('/data\n');
  });

  it('adds a newline first when the file does not end with one', async () => {
    await writeFile(gi(), '*.log');
    await addToGitignore(dir, 'a.txt');
    expect(await readFile(gi(), 'utf8')).toBe('*.log\n/a.txt\n');
  });

  it('appends after a file that ends with a newline', async () => {
    await writeFile(gi(), '*.log\n');
    await addToGitignore(dir, 'a.txt');
    expect(await readFile(gi(), 'utf8')).toBe('*.log\n/a.txt\n');
  });

  it('skips an exact existing line (also in CRLF files) and leaves the file untouched', async () => {
    await writeFile(gi(), '/other\r\n/data\r\n');
    const before = await stat(gi());
    const r = await addToGitignore(dir, 'data');
    expect(r.changed).toBe(false);
    expect(await readFile(gi(), 'utf8')).toBe('/other\r\n/data\r\n');
    expect((await stat(gi())).ino).toBe(before.ino);
  });

  it('does not treat a different line as the entry', async () => {
    await writeFile(gi(), '/data/\ndata\n/data2\n');
    await addToGitignore(dir, 'data');
    expect(await readFile(gi(), 'utf8')).toBe('/data/\ndata\n/data2\n/data\n');
  });

  it('writes escaped names, and adding twice writes once', async () => {
    await addToGitignore(dir, 'file[1].csv');
    await addToGitignore(dir, 'file[1].csv');
    expect(await readFile(gi(), 'utf8')).toBe('/file\\[1\\].csv\n');
  });

  it('reads past a UTF-8 byte order mark (kept) and appends CRLF lines to a CRLF file', async () => {
    await writeFile(gi(), '\uFEFF/data\r\n*.log');
    expect((await addToGitignore(dir, 'data')).changed).toBe(false);
    await addToGitignore(dir, 'b.csv');
    expect(await readFile(gi(), 'utf8')).toBe('\uFEFF/data\r\n*.log\r\n/b.csv\r\n');
    await removeFromGitignore(dir, 'data');
    expect(await readFile(gi(), 'utf8')).toBe('\uFEFF*.log\r\n/b.csv\r\n');
  });

  it(
    'refuses a FIFO .gitignore (typed error) instead of hanging',
    { timeout: 15_000 },
    async () => {
      execFileSync('mkfifo', [gi()]);
      await expect(addToGitignore(dir, 'data')).rejects.toMatchObject({
        code: 'NOT_A_REGULAR_FILE',
      });
    },
  );

  it('keeps the mode of an existing file', async () => {
    await writeFile(gi(), 'x\n');
    await chmod(gi(), 0o600);
    await addToGitignore(dir, 'y');
    expect((await stat(gi())).mode & 0o777).toBe(0o600);
  });
});

describe('removeFromGitignore', () => {
  it('removes the line and keeps the others byte for byte', async () => {
    await writeFile(gi(), '# c\r\n/data\n*.log\n/data\n/keep');
    const r = await removeFromGitignore(dir, 'data');
    expect(r.changed).toBe(true);
    expect(await readFile(gi(), 'utf8')).toBe('# c\r\n*.log\n/keep');
  });

  it('deletes the file when it becomes empty', async () => {
    await addToGitignore(dir, 'data');
    const r = await removeFromGitignore(dir, 'data');
    expect(r.removedFile).toBe(true);
    await expect(stat(gi())).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('does nothing when the line or the file is absent', async () => {
    expect((await removeFromGitignore(dir, 'data')).changed).toBe(false);
    await writeFile(gi(), '/other\n');
    expect((await removeFromGitignore(dir, 'data')).changed).toBe(false);
    expect(await readFile(gi(), 'utf8')).toBe('/other\n');
  });
});

describe('ensureDvcSkeleton', () => {
  it('creates what dvc init creates, once, keeping existing files', async () => {
    const written = await ensureDvcSkeleton(dir);
    expect(written.sort()).toEqual(
      [
        join(dir, '.dvc', 'config'),
        join(dir, '.dvc', '.gitignore'),
        join(dir, '.dvcignore'),
      ].sort(),
    );
    expect(await readFile(join(dir, '.dvc', 'config'), 'utf8')).toBe('');
    expect(await readFile(join(dir, '.dvc', '.gitignore'), 'utf8')).toBe(
      '/config.local\n/tmp\n/cache\n',
    );
    expect(await readFile(join(dir, '.dvcignore'), 'utf8')).toBe(DVCIGNORE_HEADER);
    expect(DVCIGNORE_HEADER.split('\n').filter((l) => l.startsWith('#'))).toHaveLength(3);

    await writeFile(join(dir, '.dvc', 'config'), '[core]\n    remote = r\n');
    await writeFile(join(dir, '.dvc', '.gitignore'), '/tmp');
    expect(await ensureDvcSkeleton(dir)).toEqual([join(dir, '.dvc', '.gitignore')]);
    expect(await readFile(join(dir, '.dvc', 'config'), 'utf8')).toBe('[core]\n    remote = r\n');
    expect(await readFile(join(dir, '.dvc', '.gitignore'), 'utf8')).toBe(
      '/tmp\n/config.local\n/cache\n',
    );
    expect(await ensureDvcSkeleton(dir)).toEqual([]);
  });
});
