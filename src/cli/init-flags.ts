import { Flags } from '@oclif/core';
import type { InitCommonOptions, InitResult } from '../config/init.js';

/** Flags every `cmf init <type>` takes, spelled as cmflib spells them. */
export const commonInitFlags = {
  'git-remote-url': Flags.string({
    required: true,
    summary: 'URL of the git repository for code; set as the git remote cmf_origin.',
    helpValue: '<url>',
  }),
  'cmf-server-url': Flags.string({
    summary:
      'URL of the cmf metadata server (default: the one already in .cmfconfig, else http://127.0.0.1:80).',
    helpValue: '<url>',
  }),
  'neo4j-user': Flags.string({ summary: 'Neo4j user (give all three neo4j flags or none).' }),
  'neo4j-password': Flags.string({
    summary:
      'Neo4j password; stored in .dvc/config.local (git-ignored). Or leave it out and set NEO4J_PASSWORD.',
  }),
  'neo4j-uri': Flags.string({ summary: 'Neo4j URI, e.g. bolt://localhost:7687.' }),
};

type CommonFlagValues = {
  'git-remote-url': string;
  'cmf-server-url'?: string;
  'neo4j-user'?: string;
  'neo4j-password'?: string;
  'neo4j-uri'?: string;
};

export function commonInitOptions(flags: CommonFlagValues): InitCommonOptions {
  return {
    cwd: process.cwd(),
    gitRemoteUrl: flags['git-remote-url'],
    cmfServerUrl: flags['cmf-server-url'],
    neo4jUser: flags['neo4j-user'],
    neo4jPassword: flags['neo4j-password'],
    neo4jUri: flags['neo4j-uri'],
  };
}

/** The human summary of an init (stdout), warnings on stderr. Secrets are named, never shown. */
export function renderInit(
  cmd: { log(msg: string): void; warn(msg: string): unknown },
  r: InitResult,
): void {
  if (r.git.initialized)
    cmd.log(`Initialized git repository in ${r.root} (branch ${r.git.branch}).`);
  if (r.git.cmfOrigin !== 'unchanged') cmd.log(`Git remote cmf_origin ${r.git.cmfOrigin}.`);
  cmd.log(`Setting '${r.remote.name}' as a default remote (${r.remote.url}).`);
  cmd.log(`Credentials: ${r.remote.credentials}.`);
  if (r.secretKeys.length > 0) {
    cmd.log(`Secrets in .dvc/config.local (git-ignored): ${r.secretKeys.join(', ')}.`);
  }
  for (const w of r.warnings) cmd.warn(w);
  cmd.log('SUCCESS: cmf init complete.');
}

export const initDescription = (what: string) =>
  `${what}

Writes .cmfconfig (cmf server, neo4j user/uri), the DVC remote in .dvc/config (set as core.remote) and secrets in .dvc/config.local, which .dvc/.gitignore keeps out of git. Initialises git (branch: your init.defaultBranch, else main; no commit is made) when the directory is not in a repository, and adds or updates the git remote cmf_origin. Re-running init replaces this remote and keeps every other setting. DVC does not need to be installed.`;
