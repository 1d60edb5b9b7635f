import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { GIT_REMOTE } from '../git/remote-name.js';
import { ensureDvcSkeleton } from '../hashing/gitignore.js';
import {
  CmfError,
  OperationError,
  UsageError,
  isNoSpaceError,
  noSpaceError,
  withHint,
  writtenPath,
} from '../errors/index.js';
import {
  DEFAULT_CMF_SERVER_URL,
  NEO4J_DB_SECTION,
  backUpUnreadableCmfConfig,
  readCmfConfig,
  updateCmfConfig,
  type CmfConfigDocument,
} from './cmfconfig.js';
import { parseIni, remoteSectionName, type IniSection } from './configobj.js';
import { dvcConfigPaths, readIfExists, updateIniFile } from './dvc-config.js';
import {
  planRemote,
  requireNonEmpty,
  requireUrl,
  type RemoteOptions,
  type RemoteType,
} from './init-remotes.js';
import { InitUndo } from './init-undo.js';
import { checkInitValues } from './init-values.js';
import { cmfConfigFileName } from './project.js';
import { hasUrlSecret, maskUrlSecrets, stripUrlSecrets } from '../util/url-secrets.js';

export { REMOTE_NAMES, type RemoteOptions, type RemoteType } from './init-remotes.js';

export interface InitCommonOptions {
  /** Directory to initialise (cmflib: the current directory). */
  cwd: string;
  gitRemoteUrl: string;
  cmfServerUrl?: string;
  neo4jUser?: string;
  neo4jPassword?: string;
  neo4jUri?: string;
  env?: NodeJS.ProcessEnv;
  /** Home directory for `~`, `~/.fdp/osdf_token`, `~/.aws` (tests set it). */
  home?: string;
}
export type InitOptions = InitCommonOptions & RemoteOptions;

export interface InitResult {
  type: RemoteType;
  root: string;
  remote: { name: string; url: string; credentials: string };
  /** Files written, absolute. */
  files: {
    cmfconfig: string;
    /** Where an unreadable `.cmfconfig` was moved before a new one was written. */
    cmfconfigBackup?: string;
    dvcConfig: string;
    dvcConfigLocal?: string;
  };
  /** Keys written to `.dvc/config.local` (values never reported). */
  secretKeys: string[];
  git: { initialized: boolean; branch?: string; cmfOrigin: 'added' | 'updated' | 'unchanged' };
  cmfServerUrl: string;
  neo4j?: { user: string; uri: string; password: 'config.local' | 'environment' };
  warnings: string[];
}

/**
 * `cmf init <type>`: checks every input first, then initialises git (when needed) and the
 * DVC skeleton, writes the remote (secrets to `.dvc/config.local`) and `.cmfconfig`, and
 * sets `cmf_origin` last. Sections and keys that init does not own are kept. Each write is
 * recorded first (InitUndo): when a later one fails, the earlier ones are undone, so a
 * failed init changes nothing. Undoing a file init created needs no room, so on a full disk
 * git's config, the one file of an existing repository init changes, is never rewritten:
 * it is changed last, and whole or not at all.
 */
export async function initProject(opts: InitOptions): Promise<InitResult> {
  const env = opts.env ?? process.env;
  const root = resolve(opts.cwd);
  checkInitValues(opts);
  const gitRemoteUrl = requireNonEmpty('git-remote-url', opts.gitRemoteUrl);
  if (opts.cmfServerUrl !== undefined) {
    requireUrl('cmf-server-url', requireNonEmpty('cmf-server-url', opts.cmfServerUrl), [
      'http',
      'https',
    ]);
  }
  const neo4j = resolveNeo4j(opts, env);
  const plan = await planRemote(opts, { root, env, home: opts.home ?? homedir() });
  // DVC's files are only ever fixed by the user: refuse before anything is written.
  const paths = dvcConfigPaths(root);
  for (const file of [paths.repo, paths.local]) {
    const text = await readIfExists(file);
    if (text !== undefined) parseIni(text, { file });
  }

  const cmfconfig = join(root, cmfConfigFileName(env));
  // A .cmfconfig that does not parse is replaced below; one that cannot be read is refused now.
  await readCmfConfig(cmfconfig).catch((err: unknown) => {
    if (!(err instanceof CmfError) || err.code !== 'CONFIG_SYNTAX') throw err;
  });

  const undo = new InitUndo();
  try {
    return await writeProject(opts, {
      root,
      paths,
      env,
      plan,
      neo4j,
      gitRemoteUrl,
      cmfconfig,
      undo,
    });
  } catch (err) {
    const failed = await undo.undo();
    const typed = err instanceof CmfError ? err : writeFailed(err);
    if (!(typed instanceof CmfError)) throw typed;
    const after =
      failed.length === 0
        ? 'Init changed nothing.'
        : `Init could not undo its changes to ${failed.join(', ')}: check them.`;
    throw withHint(typed, `${typed.hint ?? ''} ${after}`.trim());
  }
}

/** A file system error while writing (a path that is no directory, a full disk, no permission). */
function writeFailed(err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return err;
  if (isNoSpaceError(err)) return noSpaceError(writtenPath(err), err);
  return new OperationError('INIT_WRITE_FAILED', `cmf init failed: ${(err as Error).message}`, {
    cause: err,
    hint: 'Check that the project directory and its files are writable (and not directories or links where files belong), then run init again.',
    data: { errno: code },
  });
}

/** The writing half of initProject, each change recorded in `undo` before it is made. */
async function writeProject(
  opts: InitOptions,
  ctx: {
    root: string;
    paths: ReturnType<typeof dvcConfigPaths>;
    env: NodeJS.ProcessEnv;
    plan: Awaited<ReturnType<typeof planRemote>>;
    neo4j: InitResult['neo4j'] | undefined;
    gitRemoteUrl: string;
    cmfconfig: string;
    undo: InitUndo;
  },
): Promise<InitResult> {
  const { root, paths, env, plan, neo4j, gitRemoteUrl, cmfconfig, undo } = ctx;
  // Loaded here, not at the top: every command imports config/, only init needs git.
  const { GitRepo } = await import('../git/repo.js');
  let repo = await GitRepo.tryFind(root);
  let branch: string | undefined;
  const initialized = repo === undefined;
  if (repo === undefined) {
    branch = await GitRepo.defaultBranchName();
    undo.keepAbsentDir(join(root, '.git'));
    repo = await GitRepo.init(root, branch);
  }

  undo.keepAbsentDir(join(root, '.dvc'));
  for (const file of [paths.repo, join(root, '.dvc', '.gitignore'), join(root, '.dvcignore')]) {
    await undo.keepFile(file);
  }
  await ensureDvcSkeleton(root);
  const section = remoteSectionName(plan.name);
  await updateIniFile(paths.repo, (doc) => {
    // `dvc remote add -d -f`: the section is replaced, and it becomes the default.
    const core: IniSection = doc.get('core') ?? new Map();
    core.set('remote', plan.name);
    doc.set('core', core);
    doc.delete(section);
    doc.set(section, new Map([['url', plan.url], ...plan.options]));
  });
  const secretKeys = plan.localOptions.map(([k]) => k);
  if (neo4j?.password === 'config.local') secretKeys.push('neo4j password');
  // Stale secrets of an earlier init would override new environment credentials, so the
  // remote's local section is replaced too (and dropped when empty).
  let localWritten = false;
  await undo.keepFile(paths.local);
  await updateIniFile(
    paths.local,
    (doc) => {
      doc.get('core')?.delete('remote');
      if (doc.get('core')?.size === 0) doc.delete('core');
      doc.delete(section);
      if (plan.localOptions.length > 0) doc.set(section, new Map(plan.localOptions));
      if (neo4j) {
        const db = doc.get(NEO4J_DB_SECTION) ?? new Map();
        if (neo4j.password === 'config.local') db.set('password', opts.neo4jPassword!);
        else db.delete('password');
        if (db.size > 0) doc.set(NEO4J_DB_SECTION, db);
        else doc.delete(NEO4J_DB_SECTION);
      }
      localWritten = doc.size > 0;
    },
    { mode: 0o600, skipIfAbsentAndEmpty: true },
  );

  // init owns .cmfconfig: one it cannot parse is kept aside and written afresh.
  await undo.keepFile(cmfconfig);
  const replaced = await backUpUnreadableCmfConfig(cmfconfig, (backup) =>
    undo.keepMove(cmfconfig, backup),
  );
  const warnings = [...plan.warnings];
  if (replaced) {
    warnings.push(
      `${cmfconfig} could not be read (${replaced.error.message}); wrote a new one and kept the old one as ${replaced.backup}.`,
    );
  }
  let cmfServerUrl = DEFAULT_CMF_SERVER_URL;
  await updateCmfConfig(cmfconfig, (doc) => {
    const cmf = doc.get('cmf') ?? new Map<string, string>();
    cmfServerUrl = opts.cmfServerUrl ?? cmf.get('server-url') ?? DEFAULT_CMF_SERVER_URL;
    cmf.set('server-url', cmfServerUrl);
    doc.set('cmf', cmf);
    if (neo4j) {
      doc.set(
        'neo4j',
        new Map([
          ['user', neo4j.user],
          ['uri', neo4j.uri],
        ]),
      );
    }
    if (plan.osdfSection) doc.set('osdf', new Map(plan.osdfSection));
    // Flags with a URL secret were refused above: any found now was in the file already.
    warnings.push(...keptUrlSecrets(doc, cmfConfigFileName(env)));
  });

  // Last: setRemote replaces git's config whole or not at all (through config.lock), and no
  // write after it can fail and need room to put the old one back (a fresh .git goes whole).
  if (!initialized) await undo.keepFile(repo.configFile);
  const cmfOrigin = await repo.setRemote(GIT_REMOTE, gitRemoteUrl);

  return {
    type: opts.type,
    root,
    // A report: a password that reached a URL some other way (a hand-edited .cmfconfig's
    // server URL, kept by re-running init) is not repeated in it.
    remote: { name: plan.name, url: maskUrlSecrets(plan.url), credentials: plan.credentials },
    files: {
      cmfconfig,
      ...(replaced ? { cmfconfigBackup: replaced.backup } : {}),
      dvcConfig: paths.repo,
      ...(localWritten ? { dvcConfigLocal: paths.local } : {}),
    },
    secretKeys,
    git: { initialized, ...(branch ? { branch } : {}), cmfOrigin },
    cmfServerUrl: maskUrlSecrets(cmfServerUrl),
    ...(neo4j ? { neo4j } : {}),
    warnings,
  };
}

/** A warning per `.cmfconfig` value holding a URL secret, saying how to remove it. */
function keptUrlSecrets(doc: CmfConfigDocument, file: string): string[] {
  const found: string[] = [];
  for (const [section, keys] of doc) {
    for (const [key, value] of keys) {
      if (!hasUrlSecret(value)) continue;
      const clean = stripUrlSecrets(value);
      const fix =
        section === 'cmf' && key === 'server-url'
          ? `re-run init with --cmf-server-url ${clean} (a server token goes in CMF_SERVER_TOKEN)`
          : `edit ${file} to read ${key} = ${clean} in [${section}]`;
      found.push(
        `${file} keeps a password in [${section}] ${key} (${maskUrlSecrets(value)}), and git tracks ${file}. Remove it: ${fix}.`,
      );
    }
  }
  return found;
}

/**
 * The neo4j trio: all or nothing (checked before anything is written). The password may
 * come from NEO4J_PASSWORD instead of the flag, and then stays only in the environment.
 */
function resolveNeo4j(
  opts: InitCommonOptions,
  env: NodeJS.ProcessEnv,
): InitResult['neo4j'] | undefined {
  const { neo4jUser: user, neo4jPassword: password, neo4jUri: uri } = opts;
  const given = [user, password, uri].filter((v) => v !== undefined);
  if (given.length === 0) return undefined;
  const hasPassword = (password !== undefined && password !== '') || !!env.NEO4J_PASSWORD;
  if (!user || !uri || !hasPassword) {
    throw new UsageError('NEO4J_ARGUMENTS', 'Provide user, password and uri for neo4j', {
      hint: 'Give all of --neo4j-user, --neo4j-password (or NEO4J_PASSWORD) and --neo4j-uri, or none of them.',
    });
  }
  return { user, uri, password: password ? 'config.local' : 'environment' };
}
