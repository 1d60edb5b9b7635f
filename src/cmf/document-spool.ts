/**
 * An exchange document (`{"Pipeline": [...]}`, spec §6.1) received piece by piece and merged
 * without ever being whole in memory: what the server does with a push body and the client
 * with a pull answer. Peak memory no longer grows with the document (a 116 MB document
 * cost ~750 MB as text + parsed tree + checked records).
 *
 * As the bytes come they go to an unlinked temporary file, and a scanner follows the JSON
 * structure: each element of a `Pipeline[i].stages[j].executions` list is cut out (its byte
 * range in the file is kept) and stands in the rest of the document, the skeleton, as its
 * number. Each cut element is parsed and checked when it ends, then dropped: only its uuids,
 * sender id and place stay. The merge later reads the executions it merges from the file, a
 * batch at a time (merge.ts).
 *
 * Same outcome as parsing the whole text (readDocument): the skeleton is parsed by the same
 * parser (duplicate keys, `NaN`...), its pipelines and stages are checked by the same code in
 * the same order, and a cut element's check error is thrown where the walk reaches it, so
 * the first error in document order is the one reported. Text that is not JSON anywhere
 * (a cut element, or the skeleton) is parsed whole once, for the parser's own error; should
 * that parse succeed after all (the scanner misread valid JSON), the whole document is used
 * as before.
 */
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExactJson } from './exact-json.js';
import {
  InvalidDocumentError,
  readDocument,
  readExecution,
  readPipelines,
  type DocExecutionRef,
  type DocPipeline,
} from './merge-document.js';
import type { PyJson } from './python-json.js';

/** What a container of the document is to the merge. */
type Role = 'root' | 'pipelines' | 'pipeline' | 'stages' | 'stage' | 'executions' | 'other';

interface Frame {
  array: boolean;
  role: Role;
  /** Objects: whether a key comes next; the key whose value comes. */
  expectKey: boolean;
  key?: string;
  /** Arrays: elements begun so far. */
  count: number;
  /** A pipeline or stage object: its index in its list. */
  index: number;
}

/** The key under which each role's object holds the list with the next role. */
const CHILD: Partial<Record<Role, { key: string; role: Role }>> = {
  root: { key: 'Pipeline', role: 'pipelines' },
  pipeline: { key: 'stages', role: 'stages' },
  stage: { key: 'executions', role: 'executions' },
};
const ELEMENT: Partial<Record<Role, Role>> = { pipelines: 'pipeline', stages: 'stage' };

/** A cut execution element: where its bytes are, and what checking it gave. */
interface Cut {
  start: number;
  length: number;
  at: string;
  head?: Omit<DocExecutionRef, 'load'>;
  error?: InvalidDocumentError;
  object: boolean;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const KEY_MAX = 64;

/** A new file in `dir`, unlinked at once: nothing is left behind, whatever happens. */
function openTemporary(dir: string): number {
  const path = join(dir, `.cmf-document-${randomUUID()}.json`);
  const fd = openSync(path, 'wx+', 0o600);
  unlinkSync(path);
  return fd;
}

export class DocumentSpool {
  private fd: number | undefined;
  /** Bytes written so far. */
  size = 0;
  private readonly stack: Frame[] = [];
  /**
   * The skeleton's bytes. Not a list of small Buffers: those come from Node's shared 8 KiB
   * slabs, and each would keep its slab (full of cut elements' bytes) alive.
   */
  private skeletonBytes = Buffer.allocUnsafeSlow(4096);
  private skeletonSize = 0;
  private readonly cuts: Cut[] = [];
  private inString = false;
  private escaped = false;
  private inScalar = false;
  /** The raw bytes of a key being read in a frame whose keys matter. */
  private keyBytes: number[] | undefined;
  private cutting: { start: number; depth: number; at: string; parts: Buffer[] } | undefined;
  /** A cut element that is not JSON: the whole text is parsed for the error. */
  private broken = false;
  private ended = false;
  private skeleton: { value: PyJson } | undefined;
  /** The whole document, parsed, when the scan could not be trusted. */
  private whole: PyJson | undefined;

  /**
   * `dir`: where the temporary file goes; best on disk beside what the merge writes (a
   * tmpfs /tmp would hold the document in memory again, if not in this process). Where
   * `dir` takes no file (read-only), the system's temporary directory is used: what the
   * merge then writes there fails with its own, clearer error.
   */
  constructor(dir: string = tmpdir()) {
    try {
      this.fd = openTemporary(dir);
    } catch (err) {
      if (dir === tmpdir()) throw err;
      this.fd = openTemporary(tmpdir());
    }
  }

  /** Whether the whole text had to be parsed (it is not JSON, or the scan misread it). */
  get parsedWhole(): boolean {
    return this.whole !== undefined;
  }

  /** Takes the next bytes of the document. */
  write(chunk: Buffer): void {
    if (chunk.length === 0) return;
    let written = 0;
    while (written < chunk.length) {
      written += writeSync(this.fd!, chunk, written, chunk.length - written, this.size + written);
    }
    this.scan(chunk, this.size);
    this.size += chunk.length;
  }

  /** The document is complete. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.inScalar) {
      this.inScalar = false;
      this.valueEnded(Buffer.alloc(0), 0, 0);
    }
    if (this.cutting) this.broken = true;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /**
   * The document's top level with each execution element as its number; throws the
   * SyntaxError of the whole text when it is not JSON (as `parseExactJson` of it would).
   */
  top(): PyJson {
    this.end();
    if (this.whole !== undefined) return this.whole;
    if (!this.skeleton) {
      let value: PyJson | undefined;
      if (!this.broken) {
        try {
          value = parseExactJson(this.skeletonBytes.toString('utf8', 0, this.skeletonSize));
        } catch (err) {
          if (!(err instanceof SyntaxError)) throw err;
        }
      }
      if (value === undefined) {
        // Throws the parser's own error; if the whole text parses, the scan was wrong.
        this.whole = parseExactJson(this.read(0, this.size));
        return this.whole;
      }
      this.skeletonBytes = Buffer.alloc(0);
      this.skeleton = { value };
    }
    return this.skeleton.value;
  }

  /** As `readDocument` of the whole text; executions are loaded from the file when merged. */
  pipelines(): DocPipeline[] | undefined {
    let top: PyJson;
    try {
      top = this.top();
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      return undefined;
    }
    if (this.whole !== undefined) return readDocument(this.whole);
    return readPipelines(top, (v) => this.ref(v as number));
  }

  /** How many execution elements that are objects the document's pipelines and stages hold. */
  executionCount(): number {
    const top = this.top();
    const objects = (v: unknown): Record<string, unknown>[] =>
      Array.isArray(v)
        ? (v.filter((x) => x !== null && typeof x === 'object' && !Array.isArray(x)) as Record<
            string,
            unknown
          >[])
        : [];
    let n = 0;
    for (const p of objects((top as Record<string, unknown>)?.Pipeline)) {
      for (const s of objects(p.stages)) {
        if (!Array.isArray(s.executions)) continue;
        for (const e of s.executions as unknown[]) {
          if (this.whole !== undefined) n += objects([e]).length;
          else if (this.cuts[e as number]?.object) n++;
        }
      }
    }
    return n;
  }

  /** The text of bytes `[start, start + length)` of the document. */
  read(start: number, length: number): string {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd!, buf, got, length - got, start + got);
      if (n === 0) break;
      got += n;
    }
    return buf.toString('utf8', 0, got);
  }

  private ref(index: number): DocExecutionRef {
    const cut = this.cuts[index]!;
    if (cut.error) throw cut.error;
    return {
      ...cut.head!,
      load: () => readExecution(parseExactJson(this.read(cut.start, cut.length)), cut.at),
    };
  }

  /** Follows the structure through `chunk`, whose first byte is byte `offset` of the file. */
  private scan(chunk: Buffer, offset: number): void {
    let from = 0; // the start of what goes to the skeleton or to the cut element
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const b = chunk[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === 0x5c) this.escaped = true;
        else if (b === 0x22) {
          this.inString = false;
          if (this.keyBytes) {
            this.keyEnded();
            continue;
          }
          const top = this.stack[this.stack.length - 1];
          if (top && !top.array && top.expectKey) continue; // a key of no interest
          from = this.valueEnded(chunk, from, i + 1);
          continue;
        }
        if (this.keyBytes) {
          if (this.keyBytes.length < KEY_MAX) this.keyBytes.push(b);
          else this.keyBytes = undefined;
        }
        continue;
      }
      if (this.inScalar) {
        if (!(WS.has(b) || b === 0x2c || b === 0x5d || b === 0x7d)) continue;
        this.inScalar = false;
        from = this.valueEnded(chunk, from, i);
      }
      if (WS.has(b)) continue;
      const top = this.stack[this.stack.length - 1];
      switch (b) {
        case 0x3a: // :
          if (top && !top.array) top.expectKey = false;
          break;
        case 0x2c: // ,
          if (top && !top.array) {
            top.expectKey = true;
            top.key = undefined;
          }
          break;
        case 0x7d: // }
        case 0x5d: // ]
          if (this.stack.length > 0) this.stack.pop();
          from = this.valueEnded(chunk, from, i + 1);
          break;
        case 0x22: // "
          this.inString = true;
          if (top && !top.array && top.expectKey) {
            // Only the keys of the document's first levels matter (and only short ones).
            this.keyBytes = CHILD[top.role] && !this.cutting ? [] : undefined;
          } else {
            from = this.valueStarted(chunk, from, i, offset, 'string');
          }
          break;
        case 0x7b: // {
        case 0x5b: // [
          from = this.valueStarted(chunk, from, i, offset, b === 0x5b ? 'array' : 'object');
          break;
        default:
          from = this.valueStarted(chunk, from, i, offset, 'scalar');
          this.inScalar = true;
      }
    }
    if (from < n) {
      if (this.cutting) this.cutting.parts.push(Buffer.from(chunk.subarray(from)));
      else this.toSkeleton(chunk.subarray(from));
    }
  }

  private toSkeleton(bytes: Uint8Array): void {
    if (this.skeletonSize + bytes.length > this.skeletonBytes.length) {
      const grown = Buffer.allocUnsafeSlow(
        Math.max(this.skeletonBytes.length * 2, this.skeletonSize + bytes.length),
      );
      this.skeletonBytes.copy(grown, 0, 0, this.skeletonSize);
      this.skeletonBytes = grown;
    }
    this.skeletonBytes.set(bytes, this.skeletonSize);
    this.skeletonSize += bytes.length;
  }

  private keyEnded(): void {
    const top = this.stack[this.stack.length - 1]!;
    try {
      top.key = JSON.parse(`"${Buffer.from(this.keyBytes!).toString('utf8')}"`) as string;
    } catch {
      top.key = undefined;
    }
    this.keyBytes = undefined;
  }

  /** A value begins at `i`; returns where the next skeleton or cut piece starts. */
  private valueStarted(
    chunk: Buffer,
    from: number,
    i: number,
    offset: number,
    kind: 'string' | 'array' | 'object' | 'scalar',
  ): number {
    const top = this.stack[this.stack.length - 1];
    let role: Role = 'other';
    let index = 0;
    if (this.cutting) {
      // inside a cut element: nothing there matters
    } else if (!top) {
      role = 'root';
    } else if (top.array) {
      index = top.count++;
      if (top.role === 'executions') {
        // The element leaves the skeleton: its number stands there, spaced so that two
        // elements without a comma between them still make invalid JSON.
        this.toSkeleton(chunk.subarray(from, i));
        this.toSkeleton(Buffer.from(` ${this.cuts.length} `, 'latin1'));
        const p = this.stack[this.stack.length - 4]?.index ?? 0;
        const s = this.stack[this.stack.length - 2]?.index ?? 0;
        this.cutting = {
          start: offset + i,
          depth: this.stack.length,
          at: `Pipeline[${p}].stages[${s}].executions[${index}]`,
          parts: [],
        };
        this.cuts.push({ start: offset + i, length: 0, at: this.cutting.at, object: false });
        from = i;
      } else {
        role = ELEMENT[top.role] ?? 'other';
      }
    } else {
      const child = CHILD[top.role];
      if (child && top.key === child.key) role = child.role;
    }
    if (kind === 'array' || kind === 'object') {
      const array = kind === 'array';
      // A role holds only for the container kind the document format gives it.
      const fits = role === 'other' || array === role.endsWith('s');
      this.stack.push({
        array,
        role: fits ? role : 'other',
        expectKey: !array,
        count: 0,
        index,
      });
    }
    return from;
  }

  /**
   * A value ended just before `end` (its closing bracket or quote included): when it is a
   * cut element, its bytes are checked and dropped. Returns where the next piece starts.
   */
  private valueEnded(chunk: Buffer, from: number, end: number): number {
    const cutting = this.cutting;
    if (!cutting || this.stack.length !== cutting.depth) return from;
    cutting.parts.push(Buffer.from(chunk.subarray(from, end)));
    this.cutting = undefined;
    const bytes = Buffer.concat(cutting.parts);
    const cut = this.cuts[this.cuts.length - 1]!;
    cut.length = bytes.length;
    let value: PyJson;
    try {
      value = parseExactJson(bytes.toString('utf8'));
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      this.broken = true;
      return end;
    }
    cut.object = value !== null && typeof value === 'object' && !Array.isArray(value);
    try {
      const e = readExecution(value, cut.at);
      cut.head = { uuids: e.uuids, senderId: e.senderId, at: e.at };
    } catch (err) {
      if (!(err instanceof InvalidDocumentError)) throw err;
      cut.error = err;
    }
    return end;
  }
}
