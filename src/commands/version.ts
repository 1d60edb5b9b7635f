import { CmfCommand } from '../cli/base-command.js';
import { versionInfo, versionLine, type VersionInfo } from '../cli/version-info.js';

/** `cmf --version [--json]` gives the same answer, from bin/run.js (see versionReply). */
export default class Version extends CmfCommand<VersionInfo> {
  static override summary = 'Print the version of cmf and of the Node.js running it.';
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --json'];

  async run(): Promise<VersionInfo> {
    await this.parse(Version);
    const result = versionInfo(this.config.version);
    this.log(versionLine(result));
    return result;
  }
}
