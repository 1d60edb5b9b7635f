import { ConfigError, UsageError } from '../errors/index.js';

/**
 * Reader and writer for the INI dialect of Python's configobj, which DVC uses for
 * `.dvc/config` and `.dvc/config.local` (formats.md A5), and cmf for `.cmfconfig`.
 *
 * Only one level of sections is supported: DVC writes no `[[sub]]` sections.
 */
export type IniValue = string | string[];
export type IniSection = Map<string, IniValue>;
/** Section name → keys, in file order. Keys before any section live under ''. */
export type IniDocument = Map<string, IniSection>;

export interface ParseOptions {
  /** DVC lowercases every section name and key on load. */
  lowercase?: boolean;
  /** Named in error messages. */
  file?: string;
}

export function parseIni(text: string, opts: ParseOptions = {}): IniDocument {
  const doc: IniDocument = new Map();
  let current: IniSection = new Map();
  doc.set('', current);
  const fold = (s: string) => (opts.lowercase ? s.toLowerCase() : s);
  const file = opts.file ?? 'config';
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const where = `${file}:${index + 1}`;
    if (line.startsWith('[')) {
      const m = /^(\[+)\s*(.*?)\s*(\]+)\s*(#.*)?$/.exec(line);
      if (!m || m[1]!.length !== 1 || m[3]!.length !== 1) {
        throw syntaxError(
          `Invalid section header at ${where}: ${line}`,
          file,
          'sections look like [core] or [\'remote "name"\'], and nested sections are not supported',
        );
      }
      const name = fold(unquote(m[2]!));
      current = doc.get(name) ?? new Map();
      doc.set(name, current);
      return;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) {
      throw syntaxError(`Expected "key = value" at ${where}: ${line}`, file);
    }
    current.set(
      fold(unquote(line.slice(0, eq).trim())),
      parseValue(line.slice(eq + 1).trim(), where, file),
    );
  });
  if (doc.get('')!.size === 0) doc.delete('');
  return doc;
}

/**
 * A file that does not parse is bad configuration (exit 4), not a corrupt object. These files
 * are DVC's (`.dvc/config`, `.dvc/config.local`, DVC's global and system files): cmf never
 * rewrites one it cannot read, so the only way out is to fix the line.
 */
function syntaxError(message: string, file: string, detail?: string): ConfigError {
  const how = detail ? ` (${detail})` : '';
  return new ConfigError('CONFIG_SYNTAX', message, {
    hint: `Fix or remove the line in ${file}${how} with an editor; 'cmf init' does not rewrite DVC's configuration files.`,
    data: { file },
  });
}

function unquote(s: string): string {
  if (s.length >= 2 && (s[0] === '"' || s[0] === "'") && s.at(-1) === s[0]) return s.slice(1, -1);
  return s;
}

/** A value: a quoted string, or unquoted text where commas make a list and `#` a comment. */
function parseValue(text: string, where: string, file: string): IniValue {
  const items: string[] = [];
  let i = 0;
  let sawComma = false;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (i >= text.length || text[i] === '#') break;
    const q = text[i];
    let item: string;
    if (q === '"' || q === "'") {
      const end = text.indexOf(q, i + 1);
      if (end < 0) {
        throw syntaxError(`Unterminated quote at ${where}`, file, 'close the quote or remove it');
      }
      item = text.slice(i + 1, end);
      i = end + 1;
    } else {
      let end = i;
      while (end < text.length && text[end] !== ',' && text[end] !== '#') end++;
      item = text.slice(i, end).trim();
      i = end;
    }
    items.push(item);
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === ',') {
      sawComma = true;
      i++;
    } else if (i < text.length && text[i] !== '#') {
      throw syntaxError(
        `Unexpected text after value at ${where}`,
        file,
        'quote values that contain quotes, commas or #',
      );
    }
  }
  if (!sawComma) return items[0] ?? '';
  return items.filter((v, idx) => v !== '' || idx < items.length - 1);
}

/**
 * Serializes as configobj writes: `[section]`, 4-space indented `key = value`, final newline.
 * A name, key or value with a line break is refused (see {@link refuseLineBreak}).
 */
export function serializeIni(doc: IniDocument): string {
  let out = '';
  for (const [name, section] of doc) {
    refuseLineBreak(name, 'a section name');
    if (name !== '') out += `[${quoteName(name)}]\n`;
    const indent = name === '' ? '' : '    ';
    for (const [key, value] of section) {
      const where = `section [${name}]`;
      refuseLineBreak(key, `a key of ${where}`);
      for (const v of typeof value === 'string' ? [value] : value) {
        refuseLineBreak(v, `the value of '${key}' in ${where}`);
      }
      out += `${indent}${key} = ${formatValue(value)}\n`;
    }
  }
  return out;
}

/**
 * What Python's `str.splitlines()` ends a line at: configobj splits the text it reads with it,
 * so any of these inside a value would start a new line, and with it a new key or section, in
 * DVC's reading of the file. configobj itself would write such a value in triple quotes; cmf
 * refuses it instead, since no DVC setting is multi-line and cmf's own reader (one line per
 * entry) could not read the file back.
 */
// eslint-disable-next-line no-control-regex -- the line breaks Python knows are the point
const LINE_BREAK = /[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/;

/**
 * Throws `CONFIG_LINE_BREAK` when `text` holds one of `breaks` (configobj's by default; the
 * `.cmfconfig` writer passes configparser's).
 */
export function refuseLineBreak(text: string, what: string, breaks = LINE_BREAK): void {
  if (!breaks.test(text)) return;
  throw new UsageError('CONFIG_LINE_BREAK', `Cannot write a line break in ${what}`, {
    hint: 'Configuration values are single lines: remove the newline (or other line break) from the value.',
  });
}

function needsQuotes(s: string): boolean {
  return /^[\s"']|[\s"']$/.test(s);
}

function quoteName(name: string): string {
  if (!needsQuotes(name) && !name.includes(',')) return name;
  return name.includes('"') ? `'${name}'` : `"${name}"`;
}

function quoteScalar(v: string): string {
  if (v === '') return '""';
  if (!needsQuotes(v) && !/[,#]/.test(v)) return v;
  return v.includes('"') ? `'${v}'` : `"${v}"`;
}

function formatValue(value: IniValue): string {
  if (typeof value === 'string') return quoteScalar(value);
  if (value.length === 0) return ',';
  if (value.length === 1) return `${quoteScalar(value[0]!)},`;
  return value.map(quoteScalar).join(', ');
}

/** `remote "name"` ↔ name. DVC folds remote names to lower case. */
export function remoteSectionName(remote: string): string {
  return `remote "${remote}"`;
}

export function parseRemoteSectionName(section: string): string | undefined {
  return /^remote\s+"(.*)"$/.exec(section)?.[1];
}
