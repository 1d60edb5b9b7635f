import { jsonText } from '../cmf/raw-json.js';
import { UsageError } from '../errors/index.js';
import { isJsonFlag } from './json-flag.js';
import { renderError } from './render-error.js';

/** What `cmf version` and `cmf --version` report; one shape for text and JSON. */
export interface VersionInfo {
  version: string;
  node: string;
  platform: string;
}

export function versionInfo(version: string): VersionInfo {
  return {
    version,
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** The line oclif prints for --version (its user agent), from the same facts. */
export function versionLine(info: VersionInfo): string {
  return `cmf/${info.version} ${info.platform} node-v${info.node}`;
}

/** What bin/run.js writes for a command line starting with --version (see versionReply). */
export interface VersionReply {
  stream: 'stdout' | 'stderr';
  text: string;
  exitCode: number;
}

const isVersionFlag = (a: string) => a === '--version' || a === '-v';

/**
 * bin/run.js answers `cmf --version` and `cmf -v`, with or without `--json`, without loading
 * oclif. Anything else after a leading version flag is a usage error (exit 2): oclif would
 * print the version and ignore it. Undefined for any other command line, which oclif handles.
 */
export function versionReply(argv: readonly string[], version: string): VersionReply | undefined {
  const versionFlags = argv.filter(isVersionFlag).length;
  const jsonFlags = argv.filter(isJsonFlag).length;
  if (versionFlags === 1 && jsonFlags <= 1 && versionFlags + jsonFlags === argv.length) {
    const info = versionInfo(version);
    const text = (jsonFlags ? jsonText(info) : versionLine(info)) + '\n';
    return { stream: 'stdout', text, exitCode: 0 };
  }
  if (argv.length === 0 || !isVersionFlag(argv[0]!)) return undefined;
  // --json is taken (it shapes this very error): the rest is what was not expected, unless
  // --json itself came more than once.
  const others = argv.slice(1).filter((a) => !isJsonFlag(a));
  const extra = others.length > 0 ? others : argv.slice(1);
  const err = new UsageError(
    'USAGE',
    `Unexpected argument${extra.length > 1 ? 's' : ''} to 'cmf ${argv[0]}': ${extra.join(' ')}`,
    { hint: `'cmf ${argv[0]}' takes only --json; 'cmf --help' lists the commands.` },
  );
  return { stream: 'stderr', text: renderError(err, jsonFlags > 0), exitCode: err.exitCode };
}
