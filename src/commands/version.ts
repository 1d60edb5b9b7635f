import { CmfCommand } from '../cli/base-command.js';

interface VersionResult {
  version: string;
  node: string;
  platform: string;
}

export default class Version extends CmfCommand<VersionResult> {
  static override summary = 'Print the version of cmf and of the Node.js running it.';
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --json'];

  async run(): Promise<VersionResult> {
    await this.parse(Version);
    const result = {
      version: this.config.version,
      node: process.versions.node,
      platform: `${process.platform}-${process.arch}`,
    };
    this.log(`cmf/${result.version} ${result.platform} node-v${result.node}`);
    return result;
  }
}
