import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../fs/atomic.js';
import { isPid, isRunning } from '../util/process-owner.js';

/**
 * Records of large uploads under way, so that the next push of the same object resumes them
 * instead of starting again from zero: an S3 multipart upload (its id and part size), an SFTP
 * temp file. One small JSON file per upload, in the project's `.dvc/tmp/cmf-uploads/` (git
 * and DVC ignore `.dvc/tmp`; spec/formats.md A8), written atomically and removed once the
 * upload is complete or abandoned. Records are per local project: another clone, or another
 * machine, never resumes this one's upload, and vice versa.
 */

/** Where a project keeps its upload records. */
export function uploadRecordsDir(repoRoot: string): string {
  return join(resolve(repoRoot), '.dvc', 'tmp', 'cmf-uploads');
}

/** What identifies one upload: the remote's kind, where it is, and the object's key there. */
export interface UploadTarget {
  kind: string;
  /** The server and container (endpoint and bucket; user@host and directory). */
  where: string;
  /** The object's full name there (prefix included). */
  key: string;
}

export class UploadRecords {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  private path(t: UploadTarget): string {
    const id = createHash('sha256')
      .update(JSON.stringify([t.kind, t.where, t.key]))
      .digest('hex')
      .slice(0, 32);
    return join(this.dir, `${id}.json`);
  }

  /**
   * The record of an upload of `t`, if there is one that names it (a record that cannot be
   * read, or names another target, counts as none: at worst an upload starts afresh).
   */
  async read<T extends object>(t: UploadTarget): Promise<T | undefined> {
    let data: unknown;
    try {
      data = JSON.parse(await readFile(this.path(t), 'utf8'));
    } catch {
      return undefined;
    }
    const r = data as Partial<UploadTarget> | null;
    if (!r || r.kind !== t.kind || r.where !== t.where || r.key !== t.key) return undefined;
    return data as T;
  }

  /** Records (or replaces the record of) an upload of `t`. */
  async write(t: UploadTarget, record: object): Promise<void> {
    const text = `${JSON.stringify({ ...record, kind: t.kind, where: t.where, key: t.key })}\n`;
    await writeFileAtomic(this.path(t), text);
  }

  /** The upload of `t` is over (complete or abandoned). */
  async remove(t: UploadTarget): Promise<void> {
    await rm(this.path(t), { force: true });
  }

  /** Every record of uploads of `kind` to `where` (those that can be read). */
  async all<T extends object>(kind: string, where: string): Promise<T[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const found: T[] = [];
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      try {
        const r = JSON.parse(await readFile(join(this.dir, name), 'utf8')) as Partial<UploadTarget>;
        if (r && r.kind === kind && r.where === where) found.push(r as T);
      } catch {
        // unreadable: not a record this run can use
      }
    }
    return found;
  }

  /**
   * Claims the upload of `t` for this process until the returned function is called: a push
   * of the same object from another process of this project, at the same time, gets
   * undefined (it must then neither resume nor record its upload, or both would write into
   * one temp file). The claim of a process that is gone is taken over.
   */
  async claim(t: UploadTarget): Promise<(() => Promise<void>) | undefined> {
    const lock = this.path(t).replace(/\.json$/, '.lock');
    await mkdir(this.dir, { recursive: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await writeFile(lock, String(process.pid), { flag: 'wx' });
        return () => rm(lock, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = Number(await readFile(lock, 'utf8').catch(() => ''));
      if (holder === process.pid || (isPid(holder) && isRunning(holder))) return undefined;
      await rm(lock, { force: true });
    }
    return undefined;
  }
}
