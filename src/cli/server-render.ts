import type { Command } from '@oclif/core';
import type { MetadataPullResult } from '../server/metadata-pull.js';
import type { MetadataPushResult } from '../server/metadata-push.js';
import type { RepoResult } from '../repo/steps.js';
import { counted } from '../util/counted.js';
import type { PullArtifactsResult, PushArtifactsResult } from '../artifacts/index.js';
import { describePullNotes, describePushNotes } from './transfer-notes.js';
import { movedBytes } from './transfer-progress.js';

type Logger = Pick<Command, 'log' | 'logToStderr'>;

/** The human lines of a metadata push: outcome on stdout, upload problems on stderr. */
export function describePush(cmd: Logger, r: MetadataPushResult): void {
  cmd.log(
    r.status === 'success'
      ? `SUCCESS: ${r.pipeline} pushed to ${r.server} (${counted(r.executions, 'execution')} sent${r.merged ? `: ${r.merged.new} new, ${r.merged.alreadyThere} already there` : ''})`
      : `INFO: ${r.server} already has every execution of ${r.pipeline}; nothing new merged`,
  );
  const byKind = new Map<string, number>();
  for (const u of r.uploads.filter((u) => u.ok)) byKind.set(u.kind, (byKind.get(u.kind) ?? 0) + 1);
  if (byKind.size > 0) {
    cmd.log(`Uploaded: ${[...byKind].map(([k, n]) => `${n} ${k}`).join(', ')}`);
  }
  for (const u of r.uploads.filter((u) => !u.ok)) cmd.logToStderr(`Warning: ${u.error}`);
  for (const m of r.missing)
    cmd.logToStderr(`Warning: ${m} is named in the metadata but not found locally; not uploaded`);
}

export function describePull(cmd: Logger, r: MetadataPullResult): void {
  cmd.log(
    r.status === 'success'
      ? `SUCCESS: ${r.pipeline} pulled from ${r.server} into ${r.path}`
      : `INFO: ${r.path} already has every execution of ${r.pipeline} from ${r.server}; nothing new merged`,
  );
}

/** What each step of repo push/pull did. */
export function describeRepo(cmd: Logger, r: RepoResult): void {
  for (const { step, result } of r.steps) {
    const x = result as Record<string, unknown>;
    if (step === 'metadata push') describePush(cmd, result as MetadataPushResult);
    else if (step === 'metadata pull') describePull(cmd, result as MetadataPullResult);
    else if (step === 'artifact push') {
      const pushed = result as PushArtifactsResult;
      cmd.log(
        `${step}: ${pushed.uploaded} uploaded (${movedBytes(pushed)}), ${pushed.present} already on ${pushed.remote}`,
      );
      describePushNotes(cmd, pushed);
    } else if (step === 'artifact pull') {
      const pulled = result as PullArtifactsResult;
      cmd.log(
        `${step}: ${pulled.downloaded} downloaded (${movedBytes(pulled)}), ${pulled.present} already here`,
      );
      describePullNotes(cmd, pulled);
    } else if (x.pulled === false)
      cmd.log(`${step}: skipped, branch ${x.branch} is not on ${x.remote} yet (${x.url})`);
    else {
      if (x.output) cmd.logToStderr(String(x.output));
      cmd.log(
        `${step}: branch ${x.branch} ${step === 'git push' ? 'to' : 'from'} ${x.remote} (${x.url})`,
      );
    }
  }
}
