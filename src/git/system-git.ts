/**
 * The git operations that talk to a git host — push and pull — run through the system
 * `git` (execa), so every transport and credential helper the user has set up works: ssh,
 * https, file paths, any host (cmflib only knows GitHub and asks its API, §11 item 14).
 */
import { ConfigError, OperationError } from '../errors/index.js';

/**
 * execa, loaded on first use: it is ~20 modules (about 60 ms) that only runs of the system
 * git need, and the library's import and most commands never make one.
 */
export function loadExeca(): Promise<typeof import('execa')> {
  return import('execa');
}

export interface SystemGitOptions {
  cwd: string;
  /**
   * Whether git may ask for credentials on the terminal. When false (no TTY), git fails
   * instead of waiting for an answer that never comes.
   */
  interactive?: boolean;
  /** Extra environment variables for git (added to the inherited environment). */
  env?: Record<string, string>;
  /** Written to git's stdin (else stdin is the terminal when interactive, or nothing). */
  input?: string;
}

export interface GitOutput {
  stdout: string;
  stderr: string;
}

/** What keeps git from asking for credentials on a terminal or in a credential manager's window. */
const NO_PROMPTS: Record<string, string> = { GIT_TERMINAL_PROMPT: '0', GCM_INTERACTIVE: 'never' };

/**
 * `core.sshCommand` as git in `cwd` sees it (any scope, includes, `GIT_CONFIG_*`), or
 * undefined. Asked of git itself: the answer must be the one git is about to use.
 */
async function configuredSshCommand(cwd: string): Promise<string | undefined> {
  const { execa } = await loadExeca();
  const r = await execa('git', ['config', '--get', 'core.sshCommand'], {
    cwd,
    reject: false,
    stdin: 'ignore',
  });
  const value = r.exitCode === 0 ? String(r.stdout).trim() : '';
  return value || undefined;
}

/**
 * The environment of a git run without a terminal: no prompts, and ssh in batch mode (no
 * passphrase or host-key questions on /dev/tty). Git lets GIT_SSH_COMMAND override
 * `core.sshCommand`, so batch mode is only set when the user chose no ssh command of their
 * own (GIT_SSH_COMMAND, GIT_SSH or `core.sshCommand`): theirs runs as they wrote it, with
 * the key and known_hosts it names.
 */
async function nonInteractiveEnv(cwd: string): Promise<Record<string, string>> {
  if (process.env.GIT_SSH_COMMAND || process.env.GIT_SSH || (await configuredSshCommand(cwd)))
    return NO_PROMPTS;
  return { ...NO_PROMPTS, GIT_SSH_COMMAND: 'ssh -o BatchMode=yes' };
}

/** Runs `git <args>`; a missing git is a ConfigError, a non-zero exit an OperationError with git's words. */
export async function runGit(args: string[], opts: SystemGitOptions): Promise<GitOutput> {
  const { execa, ExecaError } = await loadExeca();
  try {
    const r = await execa('git', args, {
      cwd: opts.cwd,
      env: { ...(opts.interactive ? {} : await nonInteractiveEnv(opts.cwd)), ...opts.env },
      ...(opts.input !== undefined
        ? { input: opts.input }
        : { stdin: opts.interactive ? 'inherit' : 'ignore' }),
      stripFinalNewline: true,
    });
    return { stdout: String(r.stdout), stderr: String(r.stderr) };
  } catch (err) {
    if (err instanceof ExecaError && err.code === 'ENOENT') {
      throw new ConfigError('GIT_NOT_INSTALLED', 'git is not installed (or not on PATH)', {
        hint: 'Install git; cmf runs it for git push and pull.',
        cause: err,
      });
    }
    if (err instanceof ExecaError) {
      const said = String(err.stderr || err.stdout || '').trim();
      throw new OperationError(
        'GIT_FAILED',
        `git ${args[0]} exited with ${err.exitCode ?? err.signal ?? '?'}${said ? `: ${said}` : ''}`,
        {
          hint: `Run 'git ${args.join(' ')}' yourself to see the details.`,
          data: { args, exitCode: err.exitCode ?? null, stderr: said },
          cause: err,
        },
      );
    }
    throw err;
  }
}

/** The checked-out branch; a detached HEAD cannot be pushed by name. */
export async function currentBranch(opts: SystemGitOptions): Promise<string> {
  try {
    return (await runGit(['symbolic-ref', '--quiet', '--short', 'HEAD'], opts)).stdout.trim();
  } catch (err) {
    if (err instanceof OperationError && err.code === 'GIT_FAILED') {
      throw new ConfigError(
        'GIT_DETACHED_HEAD',
        `${opts.cwd} has no current branch (detached HEAD, or not a git repository)`,
        {
          hint: "Check out a branch ('git switch <branch>') first.",
          cause: err,
        },
      );
    }
    throw err;
  }
}

/**
 * The URL of `remote` (with `push`, those pushes go to: its pushurls, else its url, after
 * git's insteadOf rewrites; several are joined by ", "); ConfigError when it is not configured.
 */
export async function remoteUrl(
  remote: string,
  opts: SystemGitOptions,
  which: { push?: boolean } = {},
): Promise<string> {
  try {
    const args = ['remote', 'get-url', ...(which.push ? ['--push'] : []), remote];
    const urls = (await runGit(args, opts)).stdout.split('\n').map((u) => u.trim());
    return urls.filter(Boolean).join(', ');
  } catch (err) {
    if (err instanceof OperationError && err.code === 'GIT_FAILED') {
      throw new ConfigError(
        'GIT_REMOTE_MISSING',
        `git remote ${remote} is not configured in ${opts.cwd}`,
        {
          hint: `Add it: 'git remote add ${remote} <url>' (cmf init --git-remote-url does this).`,
          cause: err,
        },
      );
    }
    throw err;
  }
}
