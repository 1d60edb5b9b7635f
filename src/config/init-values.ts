import { UsageError } from '../errors/index.js';
import type { InitOptions } from './init.js';
import type { RemoteType } from './init-remotes.js';
import { hasUrlSecret, maskUrlSecrets, stripUrlSecrets } from '../util/url-secrets.js';

/**
 * Checks every `cmf init` value before anything is written: control characters (a newline
 * would end the line in DVC's and git's config files and start keys or sections of its own)
 * and passwords inside URLs that init would store in a file git tracks.
 */

/** Options that are not flag values (the rest are the flags, camelCased). */
const NOT_FLAGS = new Set(['type', 'cwd', 'env', 'home', 'sslVerify']);

/** C0 (tab, newline, CR included), DEL, C1, and the two Unicode line and paragraph separators. */
// eslint-disable-next-line no-control-regex -- control characters are what is refused
const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/;

const flagName = (option: string) => option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Where each variant's credentials go instead of a URL: the hint of the refusal. */
const INSTEAD: Record<RemoteType, string> = {
  local: 'A local remote needs no password.',
  minioS3:
    'Give the keys with --access-key-id and --secret-key (kept in .dvc/config.local), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
  amazonS3:
    'Give the keys with --access-key-id and --secret-key (kept in .dvc/config.local), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, --profile).',
  sshremote:
    'Give it with --password (kept in .dvc/config.local), or better log in with --keyfile or your SSH agent.',
  osdfremote:
    'The OSDF origin takes a bearer token: give --access-token, or --key-id, --key-path and --key-issuer.',
};

/** URL-valued flags init stores in a tracked file, with that file and what to use instead. */
function urlFlags(type: RemoteType): Record<string, { file: string; instead: string }> {
  const remote = { file: '.dvc/config', instead: INSTEAD[type] };
  return {
    cmfServerUrl: {
      file: '.cmfconfig',
      instead:
        'The server token goes in CMF_SERVER_TOKEN or, per project, `dvc config --local db.cmf-server.password <token>` (git-ignored).',
    },
    neo4jUri: {
      file: '.cmfconfig',
      instead: 'Give --neo4j-user and --neo4j-password (or set NEO4J_PASSWORD).',
    },
    ...(type === 'local' || type === 'sshremote' ? { path: remote } : {}),
    ...(type === 'minioS3' ? { url: remote, endpointUrl: remote } : {}),
    ...(type === 'amazonS3' ? { url: remote } : {}),
    ...(type === 'osdfremote'
      ? {
          path: { file: '.dvc/config and .cmfconfig', instead: INSTEAD.osdfremote },
          cache: { file: '.cmfconfig', instead: INSTEAD.osdfremote },
          keyIssuer: { file: '.cmfconfig', instead: INSTEAD.osdfremote },
        }
      : {}),
  };
}

export function checkInitValues(opts: InitOptions): void {
  const values = opts as unknown as Record<string, unknown>;
  for (const [option, value] of Object.entries(values)) {
    if (NOT_FLAGS.has(option) || typeof value !== 'string') continue;
    const bad = CONTROL.exec(value);
    if (bad) {
      // The value itself is not shown: it may be a password.
      const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      throw new UsageError(
        'INIT_CONTROL_CHARACTER',
        `--${flagName(option)} contains a control character (U+${code} at position ${bad.index + 1})`,
        {
          hint: `Give --${flagName(option)} without newlines, tabs or other control characters (a pasted value or a shell $'…' string may carry one).`,
          data: { flag: flagName(option) },
        },
      );
    }
  }
  for (const [option, { file, instead }] of Object.entries(urlFlags(opts.type))) {
    const value = values[option];
    if (typeof value !== 'string' || !hasUrlSecret(value)) continue;
    const flag = flagName(option);
    throw new UsageError(
      'INIT_URL_PASSWORD',
      `--${flag} holds a password (${maskUrlSecrets(value)}); init would store it in ${file}, which git tracks`,
      {
        hint: `Leave the password out (--${flag} ${stripUrlSecrets(value)}). ${instead}`,
        data: { flag },
      },
    );
  }
}
