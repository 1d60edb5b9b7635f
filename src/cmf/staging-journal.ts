import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { STALE_TEMP_MS } from '../fs/stale-temps.js';
import { isPid, leftByEndedProcess, thisHost } from '../util/process-owner.js';

/**
 * The files a GitStager has queued and not staged yet, on disk, so that a Cmf killed before
 * staging them (SIGKILL, a CI timeout) does not leave its `.dvc` files untracked for good:
 * git-based `dvc pull` would never see them. Each Cmf writes its own journal,
 * `<git dir>/cmf-staging/<pid>-<random>`: a header line naming the process, then one
 * work-tree-relative path per line (JSON strings: names may hold newlines). It is removed
 * whenever the queue is empty again. A later Cmf in the same work tree takes over the journals
 * of processes that no longer run (see leftByEndedProcess) and stages what they list.
 *
 * Best effort throughout: a journal only helps a later run, so failing to write one (a
 * read-only `.git`, a full disk) fails no logging call.
 */
export class StagingJournal {
  private readonly dir: string;
  private readonly root: string;
  private readonly file: string;
  private fd?: number;
  private broken = false;

  /** `gitdir`: the work tree's git dir; `root`: the work tree, paths are kept relative to it. */
  constructor(gitdir: string, root: string) {
    this.dir = join(gitdir, DIR);
    this.root = root;
    this.file = join(this.dir, `${process.pid}-${randomBytes(4).toString('hex')}`);
  }

  /** Records queued files (absolute paths). */
  append(paths: readonly string[]): void {
    if (this.broken || paths.length === 0) return;
    try {
      if (this.fd === undefined) {
        mkdirSync(this.dir, { recursive: true });
        this.fd = openSync(this.file, 'wx');
        writeSync(this.fd, `${JSON.stringify({ host: thisHost(), pid: process.pid })}\n`);
      }
      const lines = paths.map((p) => `${JSON.stringify(relative(this.root, p))}\n`);
      writeSync(this.fd, lines.join(''));
    } catch {
      this.broken = true;
      this.clear();
    }
  }

  /** Everything recorded is staged: the journal goes (a later append starts a new one). */
  clear(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // Already unusable; the file is removed below all the same.
    }
    this.fd = undefined;
    rmSync(this.file, { force: true });
  }

  /**
   * The files listed by journals of processes that have ended (absolute paths of files that
   * still exist inside the work tree) that `take` queued, and those processes' ids. `take`
   * gets them all, records in this journal the ones it queues and returns those, before the
   * orphans are removed, so a kill in between loses nothing.
   */
  adoptOrphans(take: (paths: string[]) => string[]): { paths: string[]; pids: number[] } {
    const found = { paths: [] as string[], pids: [] as number[] };
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return found; // Usually: no journal was ever written here.
    }
    const orphans: string[] = [];
    const paths = new Set<string>();
    for (const name of names) {
      const file = join(this.dir, name);
      const journal = readOrphan(file);
      if (journal === 'headless') {
        // A kill between creating a journal and writing its header: it names no file.
        rmSync(file, { force: true });
        continue;
      }
      if (!journal) continue;
      orphans.push(file);
      found.pids.push(journal.pid);
      for (const rel of journal.paths) {
        const abs = resolve(this.root, rel);
        const inside = !isAbsolute(rel) && abs.startsWith(this.root + sep);
        if (inside && existsSync(abs)) paths.add(abs);
      }
    }
    found.paths = take([...paths]);
    for (const file of orphans) rmSync(file, { force: true });
    return found;
  }
}

const DIR = 'cmf-staging';

/**
 * A journal whose process has ended; `headless` for an old one without a header line (it
 * names no file); undefined otherwise (alive, unreadable, not a journal).
 */
function readOrphan(file: string): { pid: number; paths: string[] } | 'headless' | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    const { mtimeMs } = statSync(file);
    const [header, ...lines] = text.split('\n');
    if (!text.includes('\n') && Date.now() - mtimeMs >= STALE_TEMP_MS) return 'headless';
    const owner = JSON.parse(header!) as { host?: unknown; pid?: unknown };
    if (!isPid(owner.pid) || typeof owner.host !== 'string') return undefined;
    if (!leftByEndedProcess(owner.host, owner.pid, mtimeMs)) return undefined;
    const paths: string[] = [];
    for (const line of lines) {
      // The last line may be cut short by the kill: the lines before it are whole.
      try {
        const rel = JSON.parse(line) as unknown;
        if (typeof rel === 'string' && rel !== '') paths.push(rel);
      } catch {
        // An unfinished line.
      }
    }
    return { pid: owner.pid, paths };
  } catch {
    return undefined;
  }
}
