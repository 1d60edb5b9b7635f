/**
 * Reading the YAML files of a DVC pipeline (dvc.lock, dvc.yaml, params.yaml) with errors
 * that name the file and line. Integers are read as bigints so that `3` and `3.0` stay distinguishable
 * (an int and a double), as DVC's YAML 1.2 loader keeps them.
 */
import { dirname } from 'node:path';
import { isScalar, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { IntegrityError, NotFoundError } from '../errors/index.js';
import { readRegularFile } from '../fs/regular-file.js';

export interface YamlInput {
  /** The file as named in messages (relative to the project root). */
  file: string;
  doc: Document.Parsed;
  /** 1-based line of a node, when it has a position. */
  lineOf(node: unknown): number | undefined;
}

/** Malformed pipeline input (exit 5), `file:line: what`. */
export function invalidInput(
  code: string,
  file: string,
  what: string,
  line?: number,
  hint = 'Fix the file (or restore it from git, or re-run `dvc repro`), then ingest again.',
): IntegrityError {
  const where = line === undefined ? file : `${file}:${line}`;
  return new IntegrityError(code, `${where}: ${what}`, {
    hint,
    data: { file, ...(line === undefined ? {} : { line }) },
  });
}

/** Parses YAML text; a syntax error is INGEST_YAML_SYNTAX with its line. */
export function parseYamlInput(text: string, file: string): YamlInput {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    // yaml's own duplicate-key check compares every key with every other one of its map:
    // seconds for a lock file with thousands of foreach stages. Ours below is one pass.
    uniqueKeys: false,
    prettyErrors: false,
    intAsBigInt: true,
    // `<<: *base` merge keys, which DVC's loader (ruamel.yaml) applies.
    merge: true,
  });
  const lineOf = (node: unknown): number | undefined => {
    const range = (node as Node | undefined)?.range;
    return range ? lineCounter.linePos(range[0]).line : undefined;
  };
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0].line ?? lineCounter.linePos(err.pos[0]).line;
    throw invalidInput(
      'INGEST_YAML_SYNTAX',
      file,
      `not valid YAML: ${err.message.split('\n')[0]}`,
      line,
    );
  }
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (seen.has(key)) {
          const shown = typeof key === 'string' ? key : String(key);
          throw invalidInput(
            'INGEST_YAML_SYNTAX',
            file,
            `not valid YAML: duplicate key ${JSON.stringify(shown)}`,
            lineOf(pair.key),
          );
        }
        seen.add(key);
      }
    },
  });
  return { file, doc, lineOf };
}

/** The text of the lock file; a missing one is INGEST_NO_DVC_LOCK (exit 3). */
export async function readLockText(abs: string): Promise<string> {
  try {
    return await readRegularFile(abs, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotFoundError('INGEST_NO_DVC_LOCK', `No dvc.lock in ${dirname(abs)}`, {
        hint: "Run the pipeline with DVC ('dvc repro') so it writes dvc.lock, then ingest from the project root.",
        data: { path: abs },
      });
    }
    throw err;
  }
}

/** A scalar's text as written (for hashes that YAML would read as numbers). */
export function sourceText(node: unknown): string | undefined {
  return isScalar(node) && typeof node.source === 'string' ? node.source : undefined;
}
