import {
  objectKey,
  oidFromKey,
  prefixOf,
  type LayoutOptions,
  type RemoteDriver,
} from './driver.js';
import { mapLimit } from '../util/map-limit.js';
import { withRetry } from './retry.js';

/** Objects a listing returns per request on object stores (S3 ListObjectsV2 pages). */
const PAGE = 1000;

/**
 * Which of `oids` the remote already has. Like DVC (formats.md A4.2) it chooses between one
 * existence check per object and listing, from an estimate of the remote's size taken from
 * one `files/md5/xx/` prefix; unlike DVC it lists only the prefixes the wanted oids fall in.
 * With `legacy`, the oids are looked for in the legacy layout (`xx/…`).
 */
export async function remotePresent(
  driver: RemoteDriver,
  oids: readonly string[],
  jobs: number,
  layout: LayoutOptions = {},
): Promise<Set<string>> {
  const present = new Set<string>();
  if (oids.length === 0) return present;
  const prefixes = [...new Set(oids.map((o) => prefixOf(o, layout)))];
  const wanted = new Set(oids);
  const collect = (key: string): void => {
    const oid = oidFromKey(key, layout);
    if (oid !== undefined && wanted.has(oid)) present.add(oid);
  };

  let listed: string | undefined;
  let useList = false;
  if (driver.canList && oids.length > prefixes.length) {
    // Sample one prefix we need anyway, so the estimate costs nothing extra.
    listed = prefixes[0]!;
    const sample = listed;
    const count = await withRetry(async () => {
      let n = 0;
      for await (const key of driver.list(sample)) {
        n++;
        collect(key);
      }
      return n;
    });
    const listCost = prefixes.length * Math.max(1, Math.ceil(count / PAGE));
    useList = listCost < oids.length;
  }
  if (useList) {
    const rest = prefixes.filter((p) => p !== listed);
    await mapLimit(rest, jobs, (p) =>
      withRetry(async () => {
        for await (const key of driver.list(p)) collect(key);
      }),
    );
  } else {
    const todo = listed === undefined ? oids : oids.filter((o) => prefixOf(o, layout) !== listed);
    await mapLimit(todo, jobs, async (oid) => {
      if (await withRetry(() => driver.exists(objectKey(oid, layout)))) present.add(oid);
    });
  }
  return present;
}
