/**
 * Tree objects for a commit, built from the index as `git write-tree` builds them, but only
 * for the directories that changed: the id of every directory written before is remembered
 * until a path under it is staged (the in-memory analogue of the index's cached-tree
 * extension). Committing after staging 100 files into a tree of 10,000 then writes a
 * handful of trees instead of one per directory.
 */
import type { IndexEntry } from './index-file.js';
import type { ObjectWriter } from './object-writer.js';
import { comparePaths } from './path-order.js';

interface TreeItem {
  name: string;
  mode: string;
  oid: string;
  isTree: boolean;
}

export class TreeBuilder {
  /** Directory (`''` for the root, else `a/b/`) → its tree id. */
  private readonly cached = new Map<string, string>();

  /** Forgets every remembered tree (the index was changed by someone else). */
  reset(): void {
    this.cached.clear();
  }

  /** Forgets the trees that contain `path`. */
  invalidate(path: string): void {
    this.cached.delete('');
    for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
      this.cached.delete(path.slice(0, i + 1));
    }
  }

  /** Writes the trees of the sorted `entries` that are not known yet; returns the root id. */
  write(entries: readonly IndexEntry[], objects: ObjectWriter): string {
    const cachedRoot = this.cached.get('');
    if (cachedRoot) return cachedRoot;
    // Paths added with --intent-to-add are not part of the tree (git, isomorphic-git).
    const list = entries.some((e) => e.intentToAdd)
      ? entries.filter((e) => !e.intentToAdd)
      : entries;
    return this.build(list, 0, '', objects).oid;
  }

  private build(
    entries: readonly IndexEntry[],
    start: number,
    prefix: string,
    objects: ObjectWriter,
  ): { oid: string; next: number } {
    const items: TreeItem[] = [];
    let i = start;
    while (i < entries.length && entries[i]!.path.startsWith(prefix)) {
      const e = entries[i]!;
      const slash = e.path.indexOf('/', prefix.length);
      if (slash < 0) {
        items.push({
          name: e.path.slice(prefix.length),
          mode: e.mode.toString(8),
          oid: e.oid,
          isTree: false,
        });
        i++;
        continue;
      }
      const sub = e.path.slice(0, slash + 1);
      let oid = this.cached.get(sub);
      if (oid) {
        while (i < entries.length && entries[i]!.path.startsWith(sub)) i++;
      } else {
        const built = this.build(entries, i, sub, objects);
        oid = built.oid;
        i = built.next;
      }
      items.push({ name: sub.slice(prefix.length, -1), mode: '40000', oid, isTree: true });
    }
    // Git orders tree entries by name, a directory's name taken with a trailing slash.
    const key = (t: TreeItem): string => (t.isTree ? `${t.name}/` : t.name);
    items.sort((a, b) => comparePaths(key(a), key(b)));
    const parts: Buffer[] = [];
    for (const t of items) {
      parts.push(Buffer.from(`${t.mode} ${t.name}\0`, 'utf8'), Buffer.from(t.oid, 'hex'));
    }
    const oid = objects.write('tree', Buffer.concat(parts));
    this.cached.set(prefix, oid);
    return { oid, next: i };
  }
}
