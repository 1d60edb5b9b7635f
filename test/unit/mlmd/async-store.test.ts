import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MlmdStore, SqliteAsyncStore, TypeKind } from '../../../src/mlmd/index.js';
import { tempDir } from './helpers.js';

function open() {
  const store = MlmdStore.open(join(tempDir(), 'mlmd'));
  return { store, async: SqliteAsyncStore.wrap(store) };
}

describe('SqliteAsyncStore', () => {
  it('answers what the synchronous store answers', async () => {
    const { store, async: db } = open();
    const type = await db.types.put(TypeKind.CONTEXT, 'Stage');
    const ctx = await db.contexts.create({ typeId: type.id, name: 'p/s' });
    expect(await db.contexts.get(ctx.id)).toEqual(store.contexts.get(ctx.id));
    expect((await db.contexts.getOrCreate({ typeId: type.id, name: 'p/s' })).created).toBe(false);
    await db.close();
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const { store, async: db } = open();
    const type = await db.types.put(TypeKind.CONTEXT, 'Stage');
    await db.transaction(async (tx) => {
      await tx.contexts.create({ typeId: type.id, name: 'kept' });
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.contexts.create({ typeId: type.id, name: 'dropped' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(store.contexts.list().map((c) => c.name)).toEqual(['kept']);
    await db.close();
  });

  it('keeps calls on the outer store out of an open transaction', async () => {
    const { store, async: db } = open();
    const type = await db.types.put(TypeKind.CONTEXT, 'Stage');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const tx = db.transaction(async (t) => {
      await t.contexts.create({ typeId: type.id, name: 'in-tx' });
      await gate;
      throw new Error('rolled back');
    });
    // Queued behind the transaction: it must not land inside it and be rolled back with it.
    const outside = db.contexts.create({ typeId: type.id, name: 'outside' });
    release();
    await expect(tx).rejects.toThrow('rolled back');
    await outside;
    expect(store.contexts.list().map((c) => c.name)).toEqual(['outside']);
    await db.close();
  });

  it('a write lock held elsewhere is the typed busy error, and nothing is left open', async () => {
    const path = join(tempDir(), 'mlmd');
    const holder = MlmdStore.open(path);
    const store = MlmdStore.open(path, { busyTimeoutMs: 50 });
    const db = SqliteAsyncStore.wrap(store);
    holder.database.prepare('BEGIN IMMEDIATE').run();
    await expect(db.transaction(async () => 1)).rejects.toMatchObject({ code: 'MLMD_BUSY' });
    holder.database.prepare('ROLLBACK').run();
    expect(store.database.inTransaction).toBe(false);
    expect(await db.transaction(async () => 2)).toBe(2);
    await db.close();
    holder.close();
  });
});
