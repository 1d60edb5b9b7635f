import { Flags } from '@oclif/core';
import { CmfCommand } from '../../cli/base-command.js';
import { textWidth } from '../../cli/table.js';
import { visibleText } from '../../util/visible-text.js';
import { maskSecrets, resolveConfig, type ConfigEntry } from '../../config/resolved.js';

interface ShowResult {
  root: string;
  entries: ConfigEntry[];
}

export default class InitShow extends CmfCommand<ShowResult> {
  static override summary = 'Show the resolved cmf configuration and where each value comes from.';
  static override description =
    'Prints core.remote, remote.<name>.* (as `dvc config -l` names them), cmf-server-url, neo4j-* and osdf-*, with the source of each value: .dvc/config, .dvc/config.local, .cmfconfig, environment (AWS_*, CMF_SERVER_URL, NEO4J_*) or default. Secrets (keys, passwords, tokens, the password of any URL: scheme://user:****@host, and credentials in URL query strings: ?token=****) are masked unless --show-secrets, in text and --json. Works from any sub-directory of the project.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --show-secrets',
    '<%= config.bin %> <%= command.id %> --json',
  ];
  static override flags = {
    'show-secrets': Flags.boolean({ summary: 'Print secrets in clear instead of masking them.' }),
  };

  async run(): Promise<ShowResult> {
    const { flags } = await this.parse(InitShow);
    const resolved = await resolveConfig(process.cwd());
    const entries = maskSecrets(resolved.entries, flags['show-secrets']);
    // Values come from files a cloned repository brings (.dvc/config): their control
    // characters are shown escaped, never sent to the terminal (--json keeps them exact).
    const lines = entries.map((e) => ({
      setting: visibleText(`${e.key} = ${e.value}`),
      from: visibleText(e.variable ? `${e.source} ${e.variable}` : e.source),
    }));
    const width = Math.max(0, ...lines.map((l) => textWidth(l.setting)));
    for (const { setting, from } of lines) {
      this.log(`${setting}${' '.repeat(width - textWidth(setting))}  # ${from}`);
    }
    return { root: resolved.root, entries };
  }
}
