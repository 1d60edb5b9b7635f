import { Flags } from '@oclif/core';
import { CmfCommand } from '../../cli/base-command.js';
import { integerFlag } from '../../cli/flags.js';
import {
  commonInitFlags,
  commonInitOptions,
  initDescription,
  renderInit,
} from '../../cli/init-flags.js';
import { initProject, type InitResult } from '../../config/init.js';

export default class InitSshRemote extends CmfCommand<InitResult> {
  static override summary = 'Use a directory on an SSH server as the artifact remote.';
  static override description = initDescription(
    "Initialises cmf with the DVC remote 'ssh-storage'. Authentication: --password (stored base64-encoded in .dvc/config.local, as Python cmf stores it), --keyfile (a private key; its path goes to .dvc/config.local, and --passphrase, for a key protected by one, too), or neither, to use the SSH agent and your default keys.",
  );
  static override examples = [
    '<%= config.bin %> <%= command.id %> --path ssh://data.example.org/srv/cmf --user alice --port 22 --git-remote-url https://github.com/me/project.git',
    '<%= config.bin %> <%= command.id %> --path ssh://data.example.org/srv/cmf --user alice --port 2222 --keyfile ~/.ssh/id_ed25519 --git-remote-url https://github.com/me/project.git',
  ];
  static override flags = {
    path: Flags.string({
      required: true,
      summary: 'Remote directory as an SSH URL, e.g. ssh://host/abs/dir.',
      helpValue: '<ssh://host/dir>',
    }),
    user: Flags.string({
      summary:
        "SSH user name (default: the user in --path, else ~/.ssh/config's User for the host).",
    }),
    // Port 0 means "any free port" to a server (`cmf server start`), nothing to a client.
    port: integerFlag({
      summary: "SSH port (default: the port in --path, else ~/.ssh/config's Port, else 22).",
      min: 1,
      max: 65535,
    }),
    password: Flags.string({ summary: 'SSH password (prefer --keyfile or the SSH agent).' }),
    keyfile: Flags.string({ summary: 'Private key file for the SSH login.', helpValue: '<file>' }),
    passphrase: Flags.string({
      summary: "Passphrase of the --keyfile key, if it has one (DVC's 'passphrase' option).",
    }),
    ...commonInitFlags,
  };

  async run(): Promise<InitResult> {
    const { flags } = await this.parse(InitSshRemote);
    const result = await initProject({
      type: 'sshremote',
      path: flags.path,
      user: flags.user,
      port: flags.port === undefined ? undefined : String(flags.port),
      password: flags.password,
      keyfile: flags.keyfile,
      passphrase: flags.passphrase,
      ...commonInitOptions(flags),
    });
    renderInit(this, result);
    return result;
  }
}
