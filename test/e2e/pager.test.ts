/**
 * Paging as a person sees it: the command runs in a real terminal (tmux), keys are sent,
 * and the screen is read back.
 */
import { execFileSync } from 'node:child_process';
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

/** A pipeline with `n` artifacts named f1.csv … fn.csv. */
async function manyArtifacts(n: number): Promise<string> {
  const dir = await tempDir('cmf-pager-');
  const b = new FixtureBuilder(join(dir, 'mlmd'));
  const p = { id: b.pipeline('P'), name: 'P' };
  const s = { id: b.stage(p.id, 'P/s'), name: 'P/s' };
  const e = b.execution(p, s, { type: 's', uuid: 'u-1' });
  for (let i = 1; i <= n; i++) {
    b.artifact(s.id, e, {
      type: 'Dataset',
      name: `f${i}.csv:h${i}`,
      uri: `h${i}`,
      event: 'output',
    });
  }
  b.close();
  return dir;
}

const screen = () => tmux('capture-pane', '-p', '-t', 'cmf', '-S', '-2000');

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

function start(cwd: string, args: string): void {
  const bin = join(repoRoot, 'bin', 'cmf');
  tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'cmf', '-x', '200', '-y', '50', '-c', cwd);
  tmux('set-option', '-t', 'cmf', 'history-limit', '5000');
  // The pane's login shell resets PATH: give bin/cmf the Node this suite runs on, as runCmf
  // does by inheriting the environment (without .tools/ it takes the `node` on PATH).
  const path = `'${dirname(process.execPath)}':"$PATH"`;
  tmux(
    'send-keys',
    '-t',
    'cmf',
    `PATH=${path} NO_COLOR=1 ${bin} ${args}; echo "EXIT=[$?]"`,
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
    start(cwd, 'artifact list -p P');
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
    start(cwd, 'artifact list -p P');
    let text = await waitFor((t) => t.includes('Press any key'), 'the prompt');
    // -l: the two characters in one write, as typed ahead or pasted.
    tmux('send-keys', '-t', 'cmf', '-l', 'xq');
    text = await waitFor((t) => /EXIT=\[\d+\]/.test(t), 'the exit');
    expect(shown(text)).toHaveLength(40);
    expect(text).toContain('EXIT=[0]');
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
