/**
 * A store whose file system is full: MLMD_DISK_FULL (exit 1, a hint to free space or move
 * the file), the file as it was, and no empty store left by an open that created it.
 * SQLite's max_page_count gives SQLITE_FULL anywhere; a full tmpfs (root only) the real thing.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CmfError } from '../../../src/errors/index.js';
import { mlmdFileProblem } from '../../../src/mlmd/errors.js';
import { MlmdStore, PropertyType, TypeKind } from '../../../src/mlmd/index.js';
import { fill, mountSmallTmpfs } from '../../helpers/full-fs.js';
import { sha256, tempDir } from './helpers.js';

function thrown(fn: () => unknown): CmfError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CmfError);
    return err as CmfError;
  }
  throw new Error('expected an error');
}

function expectDiskFull(err: CmfError, path: string): void {
  expect(err).toMatchObject({ code: 'MLMD_DISK_FULL', exitCode: 1, data: { path } });
  expect(err.message).toContain(`${path} cannot be written: no space left`);
  expect(err.hint).toMatch(/Free space on the file system holding/);
  expect(err.hint).toMatch(/move the MLMD file .* -f\/--file_name/);
  expect(mlmdFileProblem(err)).toBe('disk-full');
}

describe('an MLMD store on a full file system', () => {
  it('a write SQLite has no room for is MLMD_DISK_FULL; the store works on once there is room', () => {
    const path = join(tempDir(), 'mlmd');
    const store = MlmdStore.open(path);
    try {
      const pages = Number(store.database.pragma('page_count', { simple: true }));
      store.database.pragma(`max_page_count = ${pages}`);
      const err = thrown(() => {
        for (let i = 0; i < 1000; i++) {
          store.types.put(TypeKind.ARTIFACT, `T${i}`, { properties: { p: PropertyType.INT } });
        }
      });
      expectDiskFull(err, path);
      // The put that failed was rolled back whole: no property row without its type.
      const orphans = store.database
        .prepare('SELECT count(*) FROM TypeProperty WHERE type_id NOT IN (SELECT id FROM Type)')
        .pluck()
        .get();
      expect(orphans).toBe(0);
      // Room again: the store works on.
      store.database.pragma(`max_page_count = ${pages * 100}`);
      store.types.put(TypeKind.ARTIFACT, 'After', { properties: {} });
    } finally {
      store.close();
    }
  });

  it('(root) creating a store on a full tmpfs leaves no empty file; an empty file it found stays', (ctx) => {
    const dir = join(tempDir(), 'full');
    const unmount = mountSmallTmpfs(dir);
    if (!unmount) return ctx.skip();
    try {
      fill(dir);
      const entries = readdirSync(dir);
      const path = join(dir, 'mlmd');
      expectDiskFull(
        thrown(() => MlmdStore.open(path)),
        path,
      );
      expect(readdirSync(dir)).toEqual(entries);

      writeFileSync(path, '');
      expectDiskFull(
        thrown(() => MlmdStore.open(path)),
        path,
      );
      expect(existsSync(path)).toBe(true);
    } finally {
      unmount();
    }
  });

  it('(root) a write to an existing store on a full tmpfs leaves the file as it was', (ctx) => {
    const dir = join(tempDir(), 'full');
    const unmount = mountSmallTmpfs(dir);
    if (!unmount) return ctx.skip();
    try {
      const path = join(dir, 'mlmd');
      const store = MlmdStore.open(path);
      try {
        fill(dir);
        const before = sha256(path);
        const err = thrown(() => {
          for (let i = 0; i < 1000; i++) {
            store.types.put(TypeKind.ARTIFACT, `T${i}`, { properties: { p: PropertyType.INT } });
          }
        });
        expectDiskFull(err, path);
        expect(sha256(path)).toBe(before);
      } finally {
        store.close();
      }
    } finally {
      unmount();
    }
  });
});
