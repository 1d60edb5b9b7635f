import { describe, expect, it } from 'vitest';
import { objectKey, type RemoteDriver } from '../../../src/remotes/driver.js';
import { remotePresent } from '../../../src/remotes/status.js';

/** An in-memory remote that counts requests. */
function fakeRemote(keys: string[]): RemoteDriver & { heads: number; lists: number } {
  const set = new Set(keys);
  return {
    kind: 'local',
    location: 'mem',
    defaultJobs: 4,
    canList: true,
    heads: 0,
    lists: 0,
    async exists(key) {
      this.heads++;
      return set.has(key);
    },
    async *list(prefix) {
      this.lists++;
      for (const k of set) if (k.startsWith(prefix)) yield k;
    },
    async put() {},
    async get() {},
    async delete() {},
    async close() {},
  };
}

const oid = (i: number): string => i.toString(16).padStart(32, '0').split('').reverse().join('');

describe('remotePresent', () => {
  it('checks a few objects one by one', async () => {
    const r = fakeRemote([objectKey(oid(1))]);
    const present = await remotePresent(r, [oid(1), oid(2)], 4);
    expect([...present]).toEqual([oid(1)]);
    expect(r.lists).toBe(0);
    expect(r.heads).toBe(2);
  });

  it('lists the prefixes it needs when there are many objects, never one request per object', async () => {
    const all = Array.from({ length: 5000 }, (_, i) => oid(i));
    const r = fakeRemote(all.slice(0, 2500).map((o) => objectKey(o)));
    const present = await remotePresent(r, all, 8);
    expect(present.size).toBe(2500);
    expect(r.heads).toBe(0);
    expect(r.lists).toBeLessThanOrEqual(256);
  });

  it('legacy oids are looked for in the legacy layout only, listed or checked one by one', async () => {
    const all = Array.from({ length: 600 }, (_, i) => oid(i));
    const legacy = { legacy: true };
    // Half of them in the legacy layout; the other half only as DVC 3 objects, which do not count.
    const r = fakeRemote([
      ...all.slice(0, 300).map((o) => objectKey(o, legacy)),
      ...all.slice(300).map((o) => objectKey(o)),
    ]);
    const present = await remotePresent(r, all, 8, legacy);
    expect(present).toEqual(new Set(all.slice(0, 300)));
    expect(r.heads).toBe(0);
    const few = fakeRemote([objectKey(oid(1), legacy), objectKey(oid(2))]);
    expect(await remotePresent(few, [oid(1), oid(2)], 4, legacy)).toEqual(new Set([oid(1)]));
    expect(few.heads).toBe(2);
  });
});
