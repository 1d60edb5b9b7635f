/**
 * `git add` of the `.dvc` files cmf writes, off the logging path. cmflib runs `git add`
 * once per logged file; here files are queued and staged in the background, so git's work
 * overlaps the next logging calls. One run takes everything queued so far and files queued
 * meanwhile go in the next run: one git index rewrite per run, not per file.
 */
import type { GitRepo } from '../git/index.js';

export class GitStager {
  private readonly queued = new Set<string>();
  private run?: Promise<void>;
  private error: unknown;
  /** True when something was staged since the last {@link committed}. */
  stagedSinceCommit = false;

  constructor(private readonly git: GitRepo) {}

  /** Queues files and starts staging them if no run is under way. */
  add(paths: Iterable<string>): void {
    for (const p of paths) this.queued.add(p);
    this.start();
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

  committed(): void {
    this.stagedSinceCommit = false;
  }
}
