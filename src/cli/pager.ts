/**
 * Shows pages of output the way cmflib's list commands do: after each page, "Press any key
 * to see more or 'q' to quit: " and one key read without Enter; `q` stops. A page is at most
 * a screenful (cmflib's, of 20 rows, can be hundreds of lines). Only when both
 * stdin and stdout are terminals (and paging was not turned off): otherwise everything is
 * printed at once and nothing ever waits for a key (CI, pipes, `< /dev/null`).
 *
 * The prompt goes to the terminal (stdout is one whenever we page) and is erased once a key
 * is pressed, so the screen holds only tables (on a dumb terminal it stays, on its own line).
 */
import { InterruptedError } from '../errors/index.js';
import { textWidth } from './table.js';

export const DEFAULT_PAGE_SIZE = 20;
export const PROMPT = "Press any key to see more or 'q' to quit: ";
export const END_OF_RECORDS = 'End of records.';

export interface PagerStreams {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
}

const defaultStreams = (): PagerStreams => ({ stdin: process.stdin, stdout: process.stdout });

/** Whether output should page: both ends are terminals and `--no-pager` was not given. */
export function shouldPage(noPager: boolean, io: PagerStreams = defaultStreams()): boolean {
  return !noPager && Boolean(io.stdout.isTTY) && Boolean(io.stdin.isTTY);
}

/**
 * The keys in what a terminal sent at once: one character each, or one escape sequence (an
 * arrow or function key). Keys typed ahead, or pasted, arrive together: each counts alone,
 * so `qq` quits at the first `q` as cmflib's one-character reads do.
 */
export function splitKeys(data: string): string[] {
  // eslint-disable-next-line no-control-regex -- escape sequences are what is matched
  return data.match(/\x1b\[[0-?]*[ -/]*[@-~]|\x1bO.|\x1b.|[^]/gsu) ?? [];
}

/**
 * Reads keys one at a time in raw mode (no Enter needed, no echo). Raw mode is on only while
 * waiting for a key, so Ctrl-C between prompts still interrupts; keys that arrive together
 * wait in a queue for the next prompts.
 */
export class KeyReader {
  private readonly queued: string[] = [];
  private readonly stdin: NodeJS.ReadStream;
  constructor(stdin: NodeJS.ReadStream) {
    this.stdin = stdin;
  }

  next(): Promise<string> {
    const ready = this.queued.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    const { stdin } = this;
    return new Promise((resolve) => {
      stdin.setRawMode(true);
      stdin.resume();
      stdin.once('data', (data: Buffer) => {
        stdin.setRawMode(false);
        stdin.pause();
        this.queued.push(...splitKeys(data.toString('utf8')));
        resolve(this.queued.shift() ?? '');
      });
    });
  }
}

/** The screen lines `line` takes on a terminal `columns` wide (a line as wide as it: one). */
export function screenLines(line: string, columns: number): number {
  return Math.max(1, Math.ceil(textWidth(line) / Math.max(1, columns)));
}

/**
 * What takes the prompt (`lines` screen lines: it wraps on a narrow terminal, the cursor on
 * its last line) off the screen: back to its first line and clear to the end of the screen.
 * A dumb terminal understands no escape sequence: there the prompt stays and output goes on
 * below it.
 */
export function erasePrompt(lines: number, dumb: boolean): string {
  if (dumb) return '\n';
  return '\r' + (lines > 1 ? `\x1b[${lines - 1}A` : '') + '\x1b[J';
}

/**
 * Writes each page (produced lazily, so unseen pages cost nothing) with a prompt between
 * them, until the pages run out or the user quits. A page longer than the screen is shown a
 * screenful at a time: lines are counted as the terminal shows them (a long line wraps onto
 * several), so nothing scrolls by unseen. Returns false if the user quit. Ctrl-C is an
 * InterruptedError (exit 130).
 */
export async function page(
  pages: Iterable<string> | AsyncIterable<string>,
  io: PagerStreams = defaultStreams(),
): Promise<boolean> {
  const keys = new KeyReader(io.stdin);
  const dumb = process.env['TERM'] === 'dumb';
  // Read again at each line: a resized terminal pages by its new size.
  const size = () => ({ rows: io.stdout.rows || 24, columns: io.stdout.columns || 80 });
  let out = ''; // lines not yet written
  let used = 0; // screen lines shown since the last prompt

  const more = async (): Promise<boolean> => {
    io.stdout.write(out + PROMPT);
    const promptLines = screenLines(PROMPT, size().columns);
    out = '';
    used = 0;
    const key = await keys.next();
    io.stdout.write(erasePrompt(promptLines, dumb));
    if (key === '\u0003') throw new InterruptedError('Interrupted by the user');
    return !(key === 'q' || key === 'Q' || key === '\u0004');
  };
  const show = async (lines: string[]): Promise<boolean> => {
    for (const line of lines) {
      const { rows, columns } = size();
      const room = Math.max(1, rows - screenLines(PROMPT, columns));
      const height = screenLines(line, columns);
      if (used > 0 && used + height > room && !(await more())) return false;
      out += line + '\n';
      used += height;
    }
    return true;
  };

  let shown = false;
  for await (const text of pages) {
    if (shown && !(await more())) return false;
    shown = true;
    if (!(await show(text.split('\n')))) return false;
  }
  if (!shown) return true;
  if (!(await show(['', END_OF_RECORDS]))) return false;
  io.stdout.write(out);
  return true;
}
