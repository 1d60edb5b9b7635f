/** What cmflib takes from the running script: its name and its command line. */
import { basename, extname, isAbsolute, relative, sep } from 'node:path';

/**
 * Basename of the running script without its extension (`src/parse.ts` → `parse`): the name
 * of the stage and execution created when logging starts before `createContext` /
 * `createExecution`, as cmflib names them after `sys.argv[0]`.
 */
export function scriptName(argv: readonly string[] = process.argv): string {
  const script = argv[1];
  if (!script) return 'node';
  const base = basename(script);
  return base.slice(0, base.length - extname(base).length) || base;
}

/**
 * Node makes `argv[1]` absolute; Python's `sys.argv[0]` is the path as typed, usually
 * relative to the working directory. Scripts under the working directory are shown relative.
 */
function scriptAsTyped(script: string | undefined): string {
  if (!script) return 'node';
  const rel = relative(process.cwd(), script);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? script : rel.split(sep).join('/');
}

/** A Python string literal, as `repr()` writes it. */
function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else out += ch;
  }
  return quote + out + quote;
}

/**
 * The `Execution` property: a given string as is; a list rendered like Python's
 * `str(sys.argv)` (`['src/parse.ts', 'data.xml']`), which is what cmflib records by default.
 * The default is the script and its arguments (`process.argv` without the node binary).
 */
export function commandString(cmd?: string | readonly string[], argv = process.argv): string {
  if (typeof cmd === 'string') return cmd;
  const list = cmd ?? [scriptAsTyped(argv[1]), ...argv.slice(2)];
  return `[${list.map(pyRepr).join(', ')}]`;
}
