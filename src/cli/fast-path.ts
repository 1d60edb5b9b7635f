import type { ArtifactPullFlags, ArtifactPushFlags } from './artifact-transfers.js';
import { MAX_JOBS, integerInRange } from './flag-values.js';
import type { ArtifactListFlags, ExecutionListFlags, PipelineListFlags } from './list-commands.js';

/**
 * The fast path of `cmf artifact push` and `cmf artifact pull`, the commands CI runs on every
 * build, and of the listings (`cmf pipeline list`, `cmf execution list`, `cmf artifact list`),
 * which users run at the terminal all the time: loading oclif and reading its manifest costs
 * about 100 ms per run, a third of a no-op push and half of a listing. bin/run.js asks
 * fastCommand() first; a command line it recognises runs without oclif (fast-run.ts), with
 * the same body as the oclif command (artifact-transfers.ts, list-commands.ts), the same
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

type FlagKind = 'string' | 'switch' | 'integer';

/**
 * One flag as the oclif command declares it (test/unit/cli/fast-path.test.ts compares): a
 * string, a switch (false when absent), or an integer from `min` to `max` (`default` when
 * absent). A `required` flag must be given.
 */
export interface FastFlag {
  kind: FlagKind;
  char?: string;
  aliases?: readonly string[];
  required?: boolean;
  min?: number;
  max?: number;
  default?: number;
}

const PIPELINE: FastFlag = {
  kind: 'string',
  char: 'p',
  aliases: ['pipeline-name'],
  required: true,
};
const MLMD_FILE: FastFlag = { kind: 'string', char: 'f', aliases: ['file-name'] };

const PULL_AND_PUSH: Record<string, FastFlag> = {
  pipeline_name: PIPELINE,
  file_name: MLMD_FILE,
  jobs: { kind: 'integer', char: 'j', min: 1, max: MAX_JOBS },
  'accept-new-host-key': { kind: 'switch' },
  'no-progress': { kind: 'switch' },
  json: { kind: 'switch' },
};

const LIST: Record<string, FastFlag> = {
  file_name: MLMD_FILE,
  'page-size': { kind: 'integer', min: 1, max: 10_000, default: 20 },
  'no-pager': { kind: 'switch' },
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
  'pipeline list': LIST,
  'execution list': {
    ...LIST,
    pipeline_name: PIPELINE,
    execution_uuid: { kind: 'string', char: 'e', aliases: ['execution-uuid'] },
  },
  'artifact list': {
    ...LIST,
    pipeline_name: PIPELINE,
    artifact_name: { kind: 'string', char: 'a', aliases: ['artifact-name'] },
  },
} satisfies Record<string, Record<string, FastFlag>>;

/** A command the fast path runs. */
export type FastCommandId = keyof typeof FAST_COMMANDS;

/** A command line the fast path runs. */
export type FastCommand =
  | { id: 'artifact push'; flags: ArtifactPushFlags; json: boolean }
  | { id: 'artifact pull'; flags: ArtifactPullFlags; json: boolean }
  | { id: 'pipeline list'; flags: PipelineListFlags; json: boolean }
  | { id: 'execution list'; flags: ExecutionListFlags; json: boolean }
  | { id: 'artifact list'; flags: ArtifactListFlags; json: boolean };

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
  if (!Object.hasOwn(FAST_COMMANDS, id)) return undefined;
  if (env.CMF_CONTENT_TYPE !== undefined) return undefined;
  const flags = parseFlags(argv.slice(2), FAST_COMMANDS[id as FastCommandId]);
  if (flags === undefined) return undefined;
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
    const { kind, min, max } = spec[name]!;
    if (kind === 'switch') {
      if (eq >= 0) return undefined;
      flags[name] = true;
      continue;
    }
    const text = eq >= 0 ? word.slice(eq + 1) : words[++i];
    if (text === undefined || text === '' || text.startsWith('-')) return undefined;
    if (kind === 'string') flags[name] = text;
    else {
      const n = integerInRange(text, min!, max!);
      if (n === undefined) return undefined;
      flags[name] = n;
    }
  }
  for (const [name, flag] of Object.entries(spec)) {
    if (flag.required && !(name in flags)) return undefined;
    if (flag.kind === 'switch') flags[name] ??= false;
    else if (flag.default !== undefined) flags[name] ??= flag.default;
  }
  return flags;
}
