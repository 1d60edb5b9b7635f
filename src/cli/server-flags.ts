import { Flags } from '@oclif/core';
import { ServerClient } from '../server/client.js';
import { serverClientOptions } from '../server/client-settings.js';

/** `-e` of metadata/repo push and pull. */
export const serverExecutionFlag = () =>
  Flags.string({
    char: 'e',
    aliases: ['execution-uuid'],
    summary: 'Only this execution (its uuid, as in Execution_uuid).',
  });

/** `-t` of metadata/repo push. */
export const tensorboardFlag = () =>
  Flags.string({
    char: 't',
    aliases: ['tensorboard-path'],
    summary: 'Tensorboard log file or directory to upload after the push.',
  });

/** `-f` of metadata/repo pull: the file to merge into. */
export const pullTargetFlag = () =>
  Flags.string({
    char: 'f',
    aliases: ['file-name'],
    summary:
      'MLMD file to merge into (default: ./mlmd, else mlmd in the project root, created there if absent).',
  });

/** The metadata-server client for the project in `cwd` (or the environment outside one). */
export async function projectServerClient(cwd = process.cwd()): Promise<ServerClient> {
  return new ServerClient(await serverClientOptions(cwd));
}
