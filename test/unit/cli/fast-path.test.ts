import { describe, expect, it } from 'vitest';
import ArtifactPull from '../../../src/commands/artifact/pull.js';
import ArtifactPush from '../../../src/commands/artifact/push.js';
import { FAST_COMMANDS, fastCommand, type FastFlag } from '../../../src/cli/fast-path.js';

const fast = (...argv: string[]) => fastCommand(argv, {});

describe('the fast path of artifact push and pull', () => {
  it('knows exactly the flags the oclif commands declare, with their letters, aliases and kinds', () => {
    for (const [id, command] of [
      ['artifact push', ArtifactPush],
      ['artifact pull', ArtifactPull],
    ] as const) {
      const declared: Record<string, FastFlag> = { json: { kind: 'switch' } };
      for (const [name, flag] of Object.entries(command.flags)) {
        const kind = flag.type === 'boolean' ? 'switch' : name === 'jobs' ? 'jobs' : 'string';
        declared[name] = {
          kind,
          ...(flag.char ? { char: flag.char } : {}),
          ...(flag.aliases ? { aliases: flag.aliases } : {}),
        };
        // Nothing the fast parser does not know of: values from the environment, defaults
        // other than false, flags that take --no-, several values.
        expect(flag.env, name).toBeUndefined();
        if (flag.type === 'boolean')
          expect([flag.default, flag.allowNo ?? false], name).toEqual([false, false]);
        else expect([flag.default, flag.multiple ?? false], name).toEqual([undefined, false]);
      }
      expect(command.enableJsonFlag).toBe(true);
      expect(FAST_COMMANDS[id]).toEqual(declared);
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
    // Spaces around a value are the command's to trim (it trims -p, refuses a blank -f).
    expect(fast('artifact', 'push', '-p', ' P ', '-f', ' ')?.flags).toMatchObject({
      pipeline_name: ' P ',
      file_name: ' ',
    });
  });

  it('leaves every other command line to oclif, which explains what is wrong with it', () => {
    const declined = [
      ['artifact', 'list', '-p', 'P'],
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
