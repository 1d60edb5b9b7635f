import { jsonText } from '../cmf/raw-json.js';
import { isJsonFlag } from './json-flag.js';

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

/**
 * bin/run.js answers `cmf --version` and `cmf -v`, with or without `--json`, without loading
 * oclif. Undefined for any other command line, which oclif then handles.
 */
export function versionReply(argv: readonly string[], version: string): string | undefined {
  const versionFlags = argv.filter((a) => a === '--version' || a === '-v').length;
  const jsonFlags = argv.filter(isJsonFlag).length;
  if (versionFlags !== 1 || jsonFlags > 1 || versionFlags + jsonFlags !== argv.length) {
    return undefined;
  }
  const info = versionInfo(version);
  return (jsonFlags ? jsonText(info) : versionLine(info)) + '\n';
}
