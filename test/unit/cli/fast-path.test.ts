import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import ArtifactList from '../../../src/commands/artifact/list.js';
import ArtifactPull from '../../../src/commands/artifact/pull.js';
import ArtifactPush from '../../../src/commands/artifact/push.js';
import ExecutionList from '../../../src/commands/execution/list.js';
import PipelineList from '../../../src/commands/pipeline/list.js';
import { FAST_COMMANDS, fastCommand, type FastFlag } from '../../../src/cli/fast-path.js';

const fast = (...argv: string[]) => fastCommand(argv, {});

describe('the fast path of artifact push and pull and of the listings', () => {
  it('is asked by bin/run.js for exactly the first words of its commands', () => {
    // bin/run.js loads fast-path.js only for these words (checked before loading anything), so
    // a fast command whose topic is missing there would quietly go through oclif.
    const entry = readFileSync(new URL('../../../bin/run.js', import.meta.url), 'utf8');
    const asked = [...entry.matchAll(/argv\[0\] === '([a-z]+)'/g)].map((m) => m[1]);
    const topics = [...new Set(Object.keys(FAST_COMMANDS).map((id) => id.split(' ')[0]))];
    expect(asked.sort()).toEqual(topics.sort());
  });

  it('knows exactly the flags the oclif commands declare, with their letters, aliases and kinds', () => {
    const commands = [
      ['artifact push', ArtifactPush],
      ['artifact pull', ArtifactPull],
      ['pipeline list', PipelineList],
      ['execution list', ExecutionList],
      ['artifact list', ArtifactList],
    ] as const;
    expect(Object.keys(FAST_COMMANDS).sort()).toEqual(commands.map(([id]) => id).sort());
    for (const [id, command] of commands) {
      const declared: Record<string, FastFlag> = { json: { kind: 'switch' } };
      for (const [name, flag] of Object.entries(command.flags)) {
        // An integer flag (integerFlag) carries its range.
        const range = flag as { min?: number; max?: number };
        const kind =
          flag.type === 'boolean' ? 'switch' : range.min !== undefined ? 'integer' : 'string';
        declared[name] = {
          kind,
          ...(flag.char ? { char: flag.char } : {}),
          ...(flag.aliases ? { aliases: flag.aliases } : {}),
          ...(flag.required ? { required: true } : {}),
          ...(kind === 'integer' ? { min: range.min, max: range.max } : {}),
          ...(kind === 'integer' && flag.default !== undefined
            ? { default: flag.default as number }
            : {}),
        };
        // Nothing the fast parser does not know of: values from the environment, defaults
        // other than false (a switch) or a number (an integer), flags that take --no-,
        // several values, flags that exclude or need others.
        expect(flag.env, name).toBeUndefined();
        expect([flag.exclusive, flag.dependsOn, flag.relationships], name).toEqual([
          undefined,
          undefined,
          undefined,
        ]);
        if (flag.type === 'boolean')
          expect([flag.default, flag.allowNo ?? false], name).toEqual([false, false]);
        else {
          expect(flag.multiple ?? false, name).toBe(false);
          if (kind === 'string') expect(flag.default, name).toBeUndefined();
          else expect(typeof (flag.default ?? 0), name).toBe('number');
        }
      }
      expect(command.enableJsonFlag).toBe(true);
      expect(command.args ?? {}).toEqual({});
      expect(FAST_COMMANDS[id], id).toEqual(declared);
    }
  });

  it('takes the plain forms: full names, aliases, one-letter names, values after = or apart', () => {
    expect(fast('artifact', 'push', '-p', 'Test-env')).toEqual({
      id: 'artifact push',
      json: false,
      flags: { pipeline_name: 'Test-env', 'accept-new-host-key': false, 'no-progress': false },
    });
    expect(
      fast(
        'artifact',
        'pull',
        '--pipeline-name=P',
        '-f',
        'dir/mlmd',
        '--jobs',
        ' 16 ',
        '--artifact_name',
        'data.xml.gz',
        '--force',
        '--no-progress',
        '--json',
        '--accept-new-host-key',
      ),
    ).toEqual({
      id: 'artifact pull',
      json: true,
      flags: {
        pipeline_name: 'P',
        file_name: 'dir/mlmd',
        jobs: 16,
        artifact_name: 'data.xml.gz',
        force: true,
        'no-progress': true,
        'accept-new-host-key': true,
      },
    });
    expect(fast('pipeline', 'list')).toEqual({
      id: 'pipeline list',
      json: false,
      flags: { 'page-size': 20, 'no-pager': false },
    });
    expect(
      fast('execution', 'list', '--execution-uuid', 'u', '-p', 'P', '--page-size=5', '--json'),
    ).toEqual({
      id: 'execution list',
      json: true,
      flags: { pipeline_name: 'P', execution_uuid: 'u', 'page-size': 5, 'no-pager': false },
    });
    expect(
      fast('artifact', 'list', '-f', 'm', '--pipeline_name', 'P', '-a', 'a.csv', '--no-pager'),
    ).toEqual({
      id: 'artifact list',
      json: false,
      flags: {
        pipeline_name: 'P',
        file_name: 'm',
        artifact_name: 'a.csv',
        'page-size': 20,
        'no-pager': true,
      },
    });
    // Spaces around a value are the command's to trim (it trims -p, refuses a blank -f).
    expect(fast('artifact', 'push', '-p', ' P ', '-f', ' ')?.flags).toMatchObject({
      pipeline_name: ' P ',
      file_name: ' ',
    });
  });

  it('leaves every other command line to oclif, which explains what is wrong with it', () => {
    const declined = [
      ['artifact', 'list', '-p', 'P', '--page', '3'], // abbreviated
      ['artifact', 'list'], // -p is required
      ['execution', 'list', '-f', 'mlmd'],
      ['execution', 'list', '-p', 'P', '-a', 'x'], // artifact list's flag
      ['artifact', 'list', '-p', 'P', '-e', 'u'], // execution list's flag
      ['pipeline', 'list', '-p', 'P'], // takes no -p
      ['pipeline', 'list', '--page-size', '0'],
      ['pipeline', 'list', '--page-size', '10001'],
      ['pipeline', 'list', '--page-size'],
      ['pipeline', 'list', '--no-pager', '--no-pager'],
      ['pipeline', 'list', 'extra'],
      ['pipeline', 'list', '--help'],
      ['pipeline', 'lis'],
      ['pipeline'],
      ['execution', 'show', '-p', 'P'],
      ['pipeline', 'list', '--version'],
      ['pipeline', 'list', '--json', '-h'],
      ['constructor', 'list'],
      ['__proto__', 'list'],
      ['metadata', 'push', '-p', 'P'],
      ['artifact'],
      [],
      ['artifact', 'push'], // -p is required
      ['artifact', 'push', '-p', 'P', '--help'],
      ['artifact', 'push', '-p', 'P', '-h'],
      ['artifact', 'push', '--pipe', 'P'], // abbreviated
      ['artifact', 'push', '--js', '-p', 'P'],
      ['artifact', 'push', '-p', 'P', '--force'], // pull's flag
      ['artifact', 'push', '-p', 'P', '-p', 'Q'], // twice
      ['artifact', 'push', '-p', 'P', '--pipeline_name', 'Q'],
      ['artifact', 'push', '-p', 'P', '--json', '--json'],
      ['artifact', 'push', '-p'], // no value
      ['artifact', 'push', '-p', ''],
      ['artifact', 'push', '--pipeline_name=', '-f', 'm'],
      ['artifact', 'push', '-p', '-f', 'm'], // a flag where a value belongs
      ['artifact', 'push', '-pP'],
      ['artifact', 'push', '-p=P'],
      ['artifact', 'push', '-p', 'P', 'extra'],
      ['artifact', 'push', '-p', 'P', '--', '--json'],
      ['artifact', 'push', '-p', 'P', '--json=true'],
      ['artifact', 'push', '-p', 'P', '--no-force'],
      ['artifact', 'push', '-p', 'P', '-j', '0'],
      ['artifact', 'push', '-p', 'P', '-j', '257'],
      ['artifact', 'push', '-p', 'P', '-j', '2.5'],
      ['artifact', 'push', '-p', 'P', '-j', '1e3'],
      ['artifact', 'push', '-p', 'P', '--version'],
      ['artifact', 'pull', '-p', 'P', '-a'],
    ];
    for (const argv of declined) expect(fastCommand(argv, {}), argv.join(' ')).toBeUndefined();
    // oclif reads JSON from CMF_CONTENT_TYPE too.
    expect(
      fastCommand(['artifact', 'push', '-p', 'P'], { CMF_CONTENT_TYPE: 'json' }),
    ).toBeUndefined();
  });
});
