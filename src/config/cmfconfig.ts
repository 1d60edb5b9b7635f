import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { basename } from 'node:path';
import { CmfError, ConfigError } from '../errors/index.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { refuseLineBreak } from './configobj.js';
import { readIfExists } from './dvc-config.js';

/**
 * `.cmfconfig` in the dialect of Python's `configparser.ConfigParser` (what cmflib reads
 * and writes), which is not configobj's: keys are lowercased, values are raw text (no
 * quoting, no comma lists), `%` is escaped as `%%` (BasicInterpolation), `key = value` is
 * written without indentation and every section is followed by a blank line.
 *
 * Comments are not kept when the file is rewritten (configparser drops them too).
 */
/** cmf's default metadata server, written when neither the flag nor the file gives one. */
export const DEFAULT_CMF_SERVER_URL = 'http://127.0.0.1:80';
/**
 * `.dvc/config.local` section holding the neo4j password. DVC validates its config files
 * against a schema, and `db "<name>"` sections (url, username, password) are the one place
 * a database credential is allowed; a `[neo4j]` section would make every dvc command fail.
 */
export const NEO4J_DB_SECTION = 'db "neo4j"';
/**
 * `.dvc/config.local` section holding the metadata server's bearer token (`password`), for
 * the same reason: `dvc config --local db.cmf-server.password <token>` writes it.
 */
export const CMF_SERVER_DB_SECTION = 'db "cmf-server"';

export type CmfConfigSection = Map<string, string>;
export type CmfConfigDocument = Map<string, CmfConfigSection>;

export function parseCmfConfig(text: string, file = '.cmfconfig'): CmfConfigDocument {
  const doc: CmfConfigDocument = new Map();
  let section: CmfConfigSection | undefined;
  let lastKey: string | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const where = `${file}:${index + 1}`;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) {
      // configparser keeps empty lines inside multi-line values only when they are indented
      // further; cmf never writes such values, so a blank line simply ends the value.
      if (trimmed === '') lastKey = undefined;
      return;
    }
    if (/^\s/.test(raw) && section && lastKey !== undefined) {
      section.set(lastKey, `${section.get(lastKey)}\n${trimmed}`);
      return;
    }
    const header = /^\[(.+)\]$/.exec(trimmed);
    if (header) {
      section = doc.get(header[1]!) ?? new Map();
      doc.set(header[1]!, section);
      lastKey = undefined;
      return;
    }
    const m = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(trimmed);
    if (!m || !section) {
      // Bad configuration (exit 4), not a corrupt object. cmf owns this file, so `cmf init`
      // may replace it (see replaceUnreadableCmfConfig).
      throw new ConfigError(
        'CONFIG_SYNTAX',
        section ? `Expected "key = value" at ${where}` : `Text before any [section] at ${where}`,
        {
          hint: `Fix or remove the line in ${file}, or re-run 'cmf init <type> ...', which replaces a ${basename(file)} it cannot read and keeps the old one as ${basename(file)}.bak.`,
          data: { file },
        },
      );
    }
    lastKey = m[1]!.toLowerCase();
    section.set(lastKey, unescapePercent(m[2]!));
  });
  return doc;
}

/**
 * Python reads `.cmfconfig` with universal newlines: a CR anywhere, or a newline in a section
 * name or key, would start a line of its own (a key or section nobody wrote). A newline in a
 * value is fine: it is written as configparser's continuation line.
 */
const NAME_BREAK = /[\r\n]/;
const VALUE_BREAK = /\r/;

/** Serialises exactly as `ConfigParser.write` does (space around `=`, blank line after each section). */
export function serializeCmfConfig(doc: CmfConfigDocument): string {
  let out = '';
  for (const [name, section] of doc) {
    refuseLineBreak(name, `section name [${name}] of .cmfconfig`, NAME_BREAK);
    out += `[${name}]\n`;
    for (const [key, value] of section) {
      refuseLineBreak(key, `key ${JSON.stringify(key)} of .cmfconfig`, NAME_BREAK);
      refuseLineBreak(value, `the value of ${key} in .cmfconfig`, VALUE_BREAK);
      out += `${key.toLowerCase()} = ${escapePercent(value).replaceAll('\n', '\n\t')}\n`;
    }
    out += '\n';
  }
  return out;
}

function escapePercent(v: string): string {
  return v.replaceAll('%', '%%');
}

function unescapePercent(v: string): string {
  return v.replaceAll('%%', '%');
}

export async function readCmfConfig(path: string): Promise<CmfConfigDocument | undefined> {
  const text = await readIfExists(path);
  if (text === undefined) return undefined;
  return parseCmfConfig(text, path);
}

/** Reads, lets `mutate` change the document, writes back atomically; other sections are kept. */
export async function updateCmfConfig(
  path: string,
  mutate: (doc: CmfConfigDocument) => void,
): Promise<void> {
  const doc = (await readCmfConfig(path)) ?? new Map();
  mutate(doc);
  await writeFileAtomic(path, serializeCmfConfig(doc));
}

/**
 * For `cmf init`: a `.cmfconfig` that does not parse is moved aside to `<path>.bak` (or
 * `.bak.1`, `.bak.2`… when that exists: an earlier backup is never overwritten), so that
 * init can write a fresh one (`beforeMove` is told the backup's path first). Returns the
 * backup's path and the parse error, or undefined when the file is absent or readable (and
 * is left as it is).
 */
export async function backUpUnreadableCmfConfig(
  path: string,
  beforeMove?: (backup: string) => void,
): Promise<{ backup: string; error: CmfError } | undefined> {
  try {
    await readCmfConfig(path);
    return undefined;
  } catch (err) {
    if (!(err instanceof CmfError) || err.code !== 'CONFIG_SYNTAX') throw err;
    let backup = `${path}.bak`;
    for (let n = 1; existsSync(backup); n++) backup = `${path}.bak.${n}`;
    beforeMove?.(backup);
    await rename(path, backup);
    return { backup, error: err };
  }
}

/**
 * The flattened view Python cmf builds (`<section>-<key>`, e.g. `cmf-server-url`), with the
 * legacy base64 `[neo4j] password` decoded as cmflib decodes it.
 */
export function flattenCmfConfig(doc: CmfConfigDocument): Map<string, string> {
  const flat = new Map<string, string>();
  for (const [name, section] of doc) {
    for (const [key, value] of section) {
      const isLegacyPassword = name === 'neo4j' && key === 'password';
      flat.set(`${name}-${key}`, isLegacyPassword ? decodeBase64Password(value) : value);
    }
  }
  return flat;
}

function decodeBase64Password(value: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
    throw new ConfigError('CONFIG_INVALID', '[neo4j] password in .cmfconfig is not base64', {
      hint: "Re-run 'cmf init … --neo4j-user … --neo4j-password … --neo4j-uri …' to store it again.",
    });
  }
  return Buffer.from(value, 'base64').toString('utf8');
}
