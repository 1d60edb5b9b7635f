import { Flags } from '@oclif/core';
import { CmfCommand } from '../../cli/base-command.js';
import {
  commonInitFlags,
  commonInitOptions,
  initDescription,
  renderInit,
} from '../../cli/init-flags.js';
import { initProject, type InitResult } from '../../config/init.js';

export default class InitLocal extends CmfCommand<InitResult> {
  static override summary = 'Use a local (or mounted) directory as the artifact remote.';
  static override description = initDescription(
    "Initialises cmf with the DVC remote 'local-storage' pointing at a directory.",
  );
  static override examples = [
    '<%= config.bin %> <%= command.id %> --path /mnt/nas/cmf-artifacts --git-remote-url https://github.com/me/project.git',
    '<%= config.bin %> <%= command.id %> --path ../artifacts --git-remote-url git@github.com:me/project.git --cmf-server-url http://cmf.example.org:8080',
  ];
  static override flags = {
    path: Flags.string({
      required: true,
      summary:
        'Directory that stores the artifacts (relative paths are kept relative, as DVC does).',
      helpValue: '<dir>',
    }),
    ...commonInitFlags,
  };

  async run(): Promise<InitResult> {
    const { flags } = await this.parse(InitLocal);
    const result = await initProject({
      type: 'local',
      path: flags.path,
      ...commonInitOptions(flags),
    });
    renderInit(this, result);
    return result;
  }
}
