import type { ArtifactPullFlags, ArtifactPushFlags } from './artifact-transfers.js';
import { MAX_JOBS, integerInRange } from './flag-values.js';

/**
 * The fast path of `cmf artifact push` and `cmf artifact pull`, the commands CI runs on every
 * build: loading oclif and reading its manifest costs about 100 ms per run, a third of a no-op
 * push. bin/run.js asks fastCommand() first; a command line it recognises runs without oclif
 * (fast-run.ts), with the same body as the oclif command (artifact-transfers.ts), the same
 * output and the same errors.
 *
 * Only plain, valid command lines are taken: the flags spelled in full (or by their one-letter
 * names), each once, every value present. Anything else (help, an abbreviated flag, an unknown
 * one, a repeated one, a missing or refused value, an argument, `--`) is left to oclif, which
 * explains it. So this parser never reports errors and the two paths cannot disagree on them.
 *
 * Nothing here may import oclif or the modules behind the commands: bin/run.js loads this
 * module for every `cmf artifact …` line, before it knows which path runs it.
 */

type FlagKind = 'string' | 'switch' | 'jobs';

/** One flag as the oclif command declares it (test/unit/cli/fast-path.test.ts compares). */
export interface FastFlag {
  kind: FlagKind;
  char?: string;
  aliases?: readonly string[];
}

const PULL_AND_PUSH: Record<string, FastFlag> = {
  pipeline_name: { kind: 'string', char: 'p', aliases: ['pipeline-name'] },
  file_name: { kind: 'string', char: 'f', aliases: ['file-name'] },
  jobs: { kind: 'jobs', char: 'j' },
  'accept-new-host-key': { kind: 'switch' },
  'no-progress': { kind: 'switch' },
  json: { kind: 'switch' },
};

/** The commands the fast path runs and their flags. */
export const FAST_COMMANDS = {
  'artifact push': PULL_AND_PUSH,
  'artifact pull': {
    ...PULL_AND_PUSH,
    artifact_name: { kind: 'string', char: 'a', aliases: ['artifact-name'] },
    force: { kind: 'switch' },
  },
} satisfies Record<string, Record<string, FastFlag>>;

/** A command line the fast path runs. */
export type FastCommand =
  | { id: 'artifact push'; flags: ArtifactPushFlags; json: boolean }
  | { id: 'artifact pull'; flags: ArtifactPullFlags; json: boolean };

/**
 * The command `argv` (without node and the script) asks for, when the fast path can run it;
 * undefined sends it to oclif. `env`: oclif's CMF_CONTENT_TYPE=json turns JSON on, so a line
 * run with it set is left to oclif.
 */
export function fastCommand(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): FastCommand | undefined {
  const id = `${argv[0]} ${argv[1]}`;
  if (id !== 'artifact push' && id !== 'artifact pull') return undefined;
  if (env.CMF_CONTENT_TYPE !== undefined) return undefined;
  const flags = parseFlags(argv.slice(2), FAST_COMMANDS[id]);
  if (flags?.pipeline_name === undefined) return undefined;
  const json = flags.json === true;
  delete flags.json;
  // The flags' names and kinds are those of FAST_COMMANDS[id], the command's own.
  return { id, flags, json } as unknown as FastCommand;
}

/** The flags of `words`, switches false when absent; undefined if any word is not plain. */
function parseFlags(
  words: readonly string[],
  spec: Record<string, FastFlag>,
): Record<string, string | number | boolean> | undefined {
  const byName = new Map<string, string>();
  for (const [name, flag] of Object.entries(spec)) {
    byName.set(`--${name}`, name);
    for (const alias of flag.aliases ?? []) byName.set(`--${alias}`, name);
    if (flag.char) byName.set(`-${flag.char}`, name);
  }
  const flags: Record<string, string | number | boolean> = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const eq = word.startsWith('--') ? word.indexOf('=') : -1;
    const name = byName.get(eq < 0 ? word : word.slice(0, eq));
    if (name === undefined || name in flags) return undefined;
    const { kind } = spec[name]!;
    if (kind === 'switch') {
      if (eq >= 0) return undefined;
      flags[name] = true;
      continue;
    }
    const text = eq >= 0 ? word.slice(eq + 1) : words[++i];
    if (text === undefined || text === '' || text.startsWith('-')) return undefined;
    if (kind === 'string') flags[name] = text;
    else {
      const jobs = integerInRange(text, 1, MAX_JOBS);
      if (jobs === undefined) return undefined;
      flags[name] = jobs;
    }
  }
  for (const [name, flag] of Object.entries(spec)) {
    if (flag.kind === 'switch') flags[name] ??= false;
  }
  return flags;
}
