/**
 * `git add` of the `.dvc` files cmf writes, in batches. cmflib runs `git add` once per
 * logged file, and each run rewrites the whole git index. Here files are queued; once
 * `batch` are waiting (and always on flush, i.e. in `finalize()` and `close()`) they are
 * staged together: one index rewrite and one pack of blobs per batch (see GitRepo.add, which
 * does that work synchronously, so a run started here mostly completes before the logging
 * call that started it returns). One run takes everything queued so far; files queued
 * meanwhile go in the next run. What is queued is also written to a journal (see
 * StagingJournal): a later Cmf stages what a killed one left queued.
 */
import type { GitRepo } from '../git/index.js';
import { StagingJournal } from './staging-journal.js';

export class GitStager {
  private readonly queued = new Set<string>();
  private run?: Promise<void>;
  private error: unknown;
  /** True when something was staged since the last {@link committed}. */
  stagedSinceCommit = false;
  /** The files staged since the last {@link committed} (absolute paths). */
  private readonly stagedPaths = new Set<string>();

  /**
   * What this stager took over from journals of ended processes when it was made: the files
   * (queued here) and those processes' ids. Empty almost always.
   */
  readonly adopted: { paths: string[]; pids: number[] };

  private readonly git: GitRepo;
  private readonly batch: number;
  private readonly journal: StagingJournal;

  constructor(git: GitRepo, batch = 256) {
    this.git = git;
    this.batch = batch;
    this.journal = new StagingJournal(git.gitdir, git.dir);
    // Files the index already holds as they are (the killed run was rerun and committed
    // them) are neither queued nor named.
    this.adopted = this.journal.adoptOrphans((paths) => {
      const unstaged = git.unstaged(paths);
      this.add(unstaged);
      return unstaged;
    });
  }

  /** Queues files (absolute paths); starts staging once a batch is waiting and no run is under way. */
  add(paths: Iterable<string>): void {
    const fresh = [...paths].filter((p) => !this.queued.has(p));
    for (const p of fresh) this.queued.add(p);
    this.journal.append(fresh);
    if (this.queued.size >= this.batch) this.start();
  }

  private start(): void {
    if (this.run || this.queued.size === 0) return;
    this.run = (async () => {
      while (this.queued.size > 0 && this.error === undefined) {
        const paths = [...this.queued];
        this.queued.clear();
        try {
          await this.git.add(paths);
          this.stagedSinceCommit = true;
          for (const p of paths) this.stagedPaths.add(p);
          if (this.queued.size === 0) this.journal.clear();
        } catch (err) {
          for (const path of paths) this.queued.add(path); // retried by the next flush
          this.error = err;
        }
      }
    })().finally(() => {
      this.run = undefined;
    });
  }

  /** Waits until every queued file is staged; throws what staging met. */
  async flush(): Promise<void> {
    this.start();
    while (this.run) await this.run;
    const err = this.error;
    if (err !== undefined) {
      this.error = undefined;
      throw err;
    }
  }

  /** The files staged since the last commit: the commit stages any a git command dropped. */
  get staged(): string[] {
    return [...this.stagedPaths];
  }

  committed(): void {
    this.stagedSinceCommit = false;
    this.stagedPaths.clear();
  }
}
