/**
 * A process killed in the middle of an MLMD write leaves a hot journal (`mlmd-journal`).
 * Read-only opens (`cmf pipeline list`, `artifact push`, …) used to fail on every read with a
 * misleading "cannot be written" error whose hint invited deleting the journal, which leaves
 * the file half-written. They now roll it back as any SQLite reader allowed to write does.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CmfError } from '../../src/errors/index.js';
import { MlmdErrorCode, translateSqliteError } from '../../src/mlmd/errors.js';
import { MlmdStore } from '../../src/mlmd/index.js';
import { isolatedEnv, repoRoot, runCmf } from '../helpers/cli.js';
import { tempDir } from '../unit/mlmd/helpers.js';

const CONTEXT_TYPE = 'Parent_Context';

/** An MLMD file holding 300 pipeline contexts named p0…p299. */
function storeWithPipelines(path: string): void {
  const store = MlmdStore.open(path);
  store.close();
  const db = new Database(path);
  db.transaction(() => {
    db.prepare('INSERT INTO Type (name, type_kind) VALUES (?, 2)').run(CONTEXT_TYPE);
    const type = db.prepare('SELECT id FROM Type WHERE name = ?').get(CONTEXT_TYPE) as {
      id: number;
    };
    const add = db.prepare(
      'INSERT INTO Context (type_id, name, create_time_since_epoch, last_update_time_since_epoch) VALUES (?, ?, 0, 0)',
    );
    for (let i = 0; i < 300; i++) add.run(type.id, `p${i}`);
  })();
  db.close();
}

/**
 * Renames every context in a transaction and is SIGKILLed before committing, with a page
 * cache so small that SQLite has already written pages into the file (the journal holds the
 * old ones).
 */
function killMidWrite(path: string): void {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.pragma('cache_size = 2');
    db.exec('BEGIN IMMEDIATE');
    db.exec("UPDATE Context SET name = name || '-half-written'");
    process.kill(process.pid, 'SIGKILL');`;
  const run = spawnSync(process.execPath, ['-e', script, path], { cwd: repoRoot });
  expect(run.signal).toBe('SIGKILL');
  expect(existsSync(`${path}-journal`), 'the kill left a journal').toBe(true);
}

const names = (store: MlmdStore) =>
  store.contexts
    .list()
    .map((c) => c.name)
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));

describe('an MLMD file a killed writer left with a hot journal', () => {
  it('opens read-only with its last committed state, the journal rolled back', () => {
    const path = join(tempDir(), 'mlmd');
    storeWithPipelines(path);
    killMidWrite(path);
    const store = MlmdStore.open(path, { readonly: true, create: false, verify: 'full' });
    try {
      expect(names(store)).toEqual(Array.from({ length: 300 }, (_, i) => `p${i}`));
    } finally {
      store.close();
    }
    expect(existsSync(`${path}-journal`)).toBe(false);
  });

  it('is readable by the read-only commands', async () => {
    const dir = tempDir();
    const path = join(dir, 'mlmd');
    storeWithPipelines(path);
    killMidWrite(path);
    mkdirSync(join(dir, 'home'));
    const r = await runCmf(['pipeline', 'list', '-f', path, '--json'], {
      cwd: dir,
      env: isolatedEnv(join(dir, 'home')),
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveLength(300);
  });

  it('when it cannot be rolled back here, says so and warns against deleting the journal', () => {
    const sqlite = Object.assign(new Error('attempt to write a readonly database'), {
      code: 'SQLITE_READONLY_ROLLBACK',
    });
    const err = translateSqliteError(sqlite, '/p/mlmd', 1000) as CmfError;
    expect(err).toMatchObject({ code: MlmdErrorCode.unfinishedWrite, exitCode: 1 });
    expect(err.message).toContain('/p/mlmd-journal');
    expect(err.hint).toContain('Do not delete /p/mlmd-journal');
  });
});
