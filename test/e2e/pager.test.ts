/**
 * Paging as a person sees it: the command runs in a real terminal (tmux), keys are sent,
 * and the screen is read back.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FixtureBuilder } from '../helpers/mlmd-fixture.js';
import { repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const socket = `cmf-pager-${process.pid}-${randomBytes(4).toString('hex')}`;
const tmux = (...args: string[]) =>
  execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });

afterEach(() => {
  try {
    tmux('kill-server');
  } catch {
    // no server left
  }
});

/** A pipeline with `n` artifacts named f1.csv … fn.csv (`name(i)` for other names). */
async function manyArtifacts(
  n: number,
  name = (i: number) => `f${i}.csv`,
  custom: (i: number) => Record<string, string> = () => ({}),
): Promise<string> {
  const dir = await tempDir('cmf-pager-');
  const b = new FixtureBuilder(join(dir, 'mlmd'));
  const p = { id: b.pipeline('P'), name: 'P' };
  const s = { id: b.stage(p.id, 'P/s'), name: 'P/s' };
  const e = b.execution(p, s, { type: 's', uuid: 'u-1' });
  for (let i = 1; i <= n; i++) {
    b.artifact(s.id, e, {
      type: 'Dataset',
      name: `${name(i)}:h${i}`,
      uri: `h${i}`,
      event: 'output',
      custom: custom(i),
    });
  }
  b.close();
  return dir;
}

const screen = () => tmux('capture-pane', '-p', '-t', 'cmf', '-S', '-2000');
/** The lines the command wrote, each whole (joined where the terminal wrapped it). */
const written = () => tmux('capture-pane', '-p', '-J', '-t', 'cmf', '-S', '-2000').split('\n');
/** Only what the terminal shows now, without the lines scrolled off the top. */
const visible = () => tmux('capture-pane', '-p', '-t', 'cmf');

async function waitFor(pred: (text: string) => boolean, what: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  let text = '';
  while (Date.now() < deadline) {
    text = screen();
    if (pred(text)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; screen:\n${text}`);
}

/** Runs `cmf args` in a new tmux pane; `log` (when given) gets every byte the pane is sent. */
function start(
  cwd: string,
  args: string,
  size = { x: 200, y: 50 },
  opts: { env?: string; log?: string } = {},
): void {
  const bin = join(repoRoot, 'bin', 'cmf');
  const [x, y] = [String(size.x), String(size.y)];
  tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'cmf', '-x', x, '-y', y, '-c', cwd);
  tmux('set-option', '-t', 'cmf', 'history-limit', '5000');
  if (opts.log) tmux('pipe-pane', '-o', '-t', 'cmf', `cat > '${opts.log}'`);
  // The pane's login shell resets PATH: give bin/cmf the Node this suite runs on, as runCmf
  // does by inheriting the environment (without .tools/ it takes the `node` on PATH).
  const path = `'${dirname(process.execPath)}':"$PATH"`;
  tmux(
    'send-keys',
    '-t',
    'cmf',
    `PATH=${path} NO_COLOR=1 ${opts.env ?? ''} ${bin} ${args}; echo "EXIT=[$?]"`,
    'Enter',
  );
}

const shown = (text: string) => [...text.matchAll(/\| (f\d+)\.csv/g)].map((m) => m[1]);

describe('paging on a terminal', () => {
  it('shows a page, waits for a key, shows the next, and ends with End of records.', async () => {
    const cwd = await manyArtifacts(5);
    start(cwd, 'artifact list -p P --page-size 2');
    let text = await waitFor(
      (t) => t.includes("Press any key to see more or 'q' to quit:"),
      'the prompt',
    );
    expect(shown(text)).toEqual(['f1', 'f2']);
    tmux('send-keys', '-t', 'cmf', 'x');
    text = await waitFor((t) => shown(t).includes('f4'), 'the second page');
    expect(shown(text)).toEqual(['f1', 'f2', 'f3', 'f4']);
    tmux('send-keys', '-t', 'cmf', ' ');
    text = await waitFor((t) => /EXIT=\[\d+\]/.test(t), 'the end');
    expect(shown(text)).toEqual(['f1', 'f2', 'f3', 'f4', 'f5']);
    expect(text).toContain('End of records.');
    expect(text).toContain('EXIT=[0]');
  });

  it('q quits after the first page', async () => {
    const cwd = await manyArtifacts(45);
    start(cwd, 'artifact list -p P', { x: 200, y: 100 }); // 20 rows fit
    let text = await waitFor((t) => t.includes('Press any key'), 'the prompt');
    expect(shown(text)).toHaveLength(20);
    tmux('send-keys', '-t', 'cmf', 'q');
    text = await waitFor((t) => /EXIT=\[\d+\]/.test(t), 'the exit');
    expect(shown(text)).toHaveLength(20);
    expect(text).not.toContain('End of records.');
    expect(text).toContain('EXIT=[0]');
  });

  it('keys typed together count one by one: "xq" shows one more page, then quits', async () => {
    const cwd = await manyArtifacts(45);
    start(cwd, 'artifact list -p P', { x: 200, y: 100 }); // 20 rows fit
    let text = await waitFor((t) => t.includes('Press any key'), 'the prompt');
    // -l: the two characters in one write, as typed ahead or pasted.
    tmux('send-keys', '-t', 'cmf', '-l', 'xq');
    text = await waitFor((t) => /EXIT=\[\d+\]/.test(t), 'the exit');
    expect(shown(text)).toHaveLength(40);
    expect(text).toContain('EXIT=[0]');
  });

  it('a page is at most a screenful: 20 rows of long names on 80x30 stop when the screen is full', async () => {
    const long = (i: number) => `f${i}.csv-` + 'x'.repeat(100);
    const cwd = await manyArtifacts(20, long);
    start(cwd, 'artifact list -p P', { x: 80, y: 30 });
    let text = await waitFor((t) => t.includes('Press any key'), 'the prompt');
    const screenful = visible().split('\n');
    // The header is still on the screen (nothing scrolled by unseen), the prompt on its last
    // lines, and only some of the 20 rows fit.
    expect(screenful.some((l) => l.startsWith('| id '))).toBe(true);
    const first = shown(text);
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(20);
    tmux('send-keys', '-t', 'cmf', 'x');
    text = await waitFor((t) => shown(t).length > first.length, 'the next screenful');
    // Rows go on where the screen stopped: each shown once, in order.
    for (let k = 0; k < 20 && !/EXIT=\[\d+\]/.test(text); k++) {
      tmux('send-keys', '-t', 'cmf', 'x');
      await new Promise((r) => setTimeout(r, 300));
      text = screen();
    }
    text = await waitFor((t) => /EXIT=\[\d+\]/.test(t), 'the end');
    expect(shown(text)).toEqual(Array.from({ length: 20 }, (_, i) => `f${i + 1}`));
    expect(text).toContain('End of records.');
  });

  it('one record with a 20,000-character property pauses every screenful, not after 700 lines', async () => {
    const cwd = await manyArtifacts(1, undefined, () => ({ note: 'word '.repeat(4000) }));
    start(cwd, 'artifact list -p P -a f1.csv', { x: 80, y: 30 });
    await waitFor((t) => t.includes('Press any key'), 'the prompt');
    const screenful = visible().split('\n');
    expect(screenful.some((l) => l.startsWith('| id '))).toBe(true);
    const history = screen().split('\n');
    expect(history.filter((l) => l.includes('| word')).length).toBeLessThan(30);
    tmux('send-keys', '-t', 'cmf', 'q');
    const text = await waitFor((t) => /EXIT=\[\d+\]/.test(t), 'the exit');
    expect(text).toContain('EXIT=[0]');
    expect(text).not.toContain('End of records.');
  });

  it('columns keep their width from page to page', async () => {
    const cwd = await manyArtifacts(4, (i) => (i === 4 ? 'a-much-longer-name.csv' : `f${i}.csv`));
    start(cwd, 'artifact list -p P --page-size 2');
    await waitFor((t) => t.includes('Press any key'), 'the prompt');
    tmux('send-keys', '-t', 'cmf', 'x');
    const text = await waitFor((t) => /EXIT=\[\d+\]/.test(t), 'the end');
    const rules = new Set(
      text
        .split('\n')
        .filter((l) => /^\+[-=]/.test(l))
        .map((l) => l.length),
    );
    expect(rules.size).toBe(1);
  });

  it('on a terminal narrower than the prompt, all of the wrapped prompt is erased', async () => {
    const cwd = await manyArtifacts(3);
    start(cwd, 'artifact list -p P --page-size 1', { x: 40, y: 100 });
    for (let k = 1; k <= 2; k++) {
      const page = (t: string) => shown(t).length === k && t.includes('Press any key');
      await waitFor(page, `prompt ${k}`);
      tmux('send-keys', '-t', 'cmf', 'x');
    }
    const text = await waitFor((t) => /EXIT=\[\d+\]/.test(t), 'the end');
    expect(shown(text)).toEqual(['f1', 'f2', 'f3']);
    expect(text).not.toMatch(/Press any key|quit:/);
  });

  it('TERM=dumb: no escape sequence is sent; the prompt stays and a newline follows it', async () => {
    const cwd = await manyArtifacts(3);
    const log = join(cwd, 'raw.log');
    start(cwd, 'artifact list -p P --page-size 1', undefined, { env: 'TERM=dumb', log });
    for (let k = 0; k < 2; k++) {
      await waitFor((t) => t.split('Press any key').length === k + 2, 'the prompt');
      tmux('send-keys', '-t', 'cmf', 'x');
    }
    await waitFor((t) => /EXIT=\[\d+\]/.test(t), 'the end');
    tmux('pipe-pane', '-t', 'cmf');
    const raw = readFileSync(log, 'utf8');
    const from = raw.indexOf('+---');
    const to = raw.indexOf('End of records.');
    expect(from).toBeGreaterThanOrEqual(0);
    expect(to).toBeGreaterThan(from);
    const output = raw.slice(from, to);
    expect(output).not.toContain('\x1b');
    expect(output.split("Press any key to see more or 'q' to quit: \r\n")).toHaveLength(3);
  });

  it('--no-pager prints everything without waiting, on a terminal too', async () => {
    const cwd = await manyArtifacts(25);
    start(cwd, 'artifact list -p P --no-pager');
    const text = await waitFor((t) => /EXIT=\[\d+\]/.test(t), 'the exit');
    expect(shown(text)).toHaveLength(25);
    expect(text).not.toContain('Press any key');
  });

  it('stdin not a terminal: prints everything, never waits', async () => {
    const cwd = await manyArtifacts(25);
    start(cwd, 'artifact list -p P < /dev/null');
    const text = await waitFor((t) => /EXIT=\[\d+\]/.test(t), 'the exit');
    expect(shown(text)).toHaveLength(25);
    expect(text).not.toContain('Press any key');
  });
});

const UUIDS = ['6c20de50-f268-11f1-9eda-070513231a1a', '7d31ef61-f268-11f1-9eda-070513231a1a'];

/** One execution run twice (two uuids) of a stage with a long command. */
async function oneExecution(): Promise<string> {
  const dir = await tempDir('cmf-pager-');
  const b = new FixtureBuilder(join(dir, 'mlmd'));
  const p = { id: b.pipeline('P'), name: 'P' };
  const s = { id: b.stage(p.id, 'P/train'), name: 'P/train' };
  const cmd = `['src/train.py', ${Array.from({ length: 12 }, (_, i) => `'--opt${i}'`).join(', ')}]`;
  b.execution(p, s, { type: 'train', uuid: UUIDS.join(','), cmd });
  b.close();
  return dir;
}

describe('tables on a terminal', () => {
  it('an 80-column terminal: each uuid (what -e takes) is whole on one line', async () => {
    const cwd = await oneExecution();
    start(cwd, 'execution list -p P --no-pager', { x: 80, y: 50 });
    await waitFor((t) => /EXIT=\[\d+\]/.test(t), 'the exit');
    const lines = written();
    for (const u of UUIDS) expect(lines.some((l) => l.includes(`| ${u}`))).toBe(true);
  });

  it('a wide terminal: text wraps wider, the table as wide as the terminal at most', async () => {
    const cwd = await oneExecution();
    start(cwd, 'execution list -p P --no-pager', { x: 160, y: 50 });
    const text = await waitFor((t) => /EXIT=\[\d+\]/.test(t), 'the exit');
    const table = written().filter((l) => /^[+|]/.test(l));
    expect(Math.max(...table.map((l) => l.length))).toBeLessThanOrEqual(160);
    // The command (150 characters) takes fewer lines than at cmflib's 14.
    const rowLines = table.filter((l) => l.startsWith('|')).length - 1;
    expect(rowLines).toBeLessThan(6);
    expect(text).toContain("'--opt0'");
  });

  it('not a terminal: the table is as cmflib draws it, wrapped at 14 (uuids too)', async () => {
    const cwd = await oneExecution();
    start(cwd, 'execution list -p P | cat', { x: 160, y: 50 });
    await waitFor((t) => /EXIT=\[\d+\]/.test(t), 'the exit');
    const lines = written();
    expect(lines.some((l) => l.includes('| 6c20de50-f268- |'))).toBe(true);
  });
});
