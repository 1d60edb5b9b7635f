/**
 * `cmf repo push/pull` run their steps in order; the first failure stops the chain and is
 * reported under the step's name; its hint names the steps completed before it and those
 * not run, and its data holds what the earlier steps did (cmflib goes on after a failed
 * artifact push, §11 item 4). What a later step is sure to refuse (no git remote, a
 * detached HEAD, a merge in progress, a bad -t path) is checked before the first step
 * transfers anything.
 */
import { CmfError, toCmfError } from '../errors/index.js';

export interface Step {
  name: string;
  run: () => Promise<unknown>;
}

export interface StepResult {
  step: string;
  result: unknown;
}

export interface RepoResult {
  pipeline: string;
  steps: StepResult[];
}

/**
 * The message of a failed step, named once: "metadata pull failed: cannot reach ..." rather
 * than "metadata pull failed: metadata pull: cannot reach ...", and a message that already
 * starts with the step's name ("metadata push failed with HTTP 500: ...") as it is.
 */
function underStep(name: string, message: string): string {
  if (message.startsWith(`${name}: `)) return `${name} failed: ${message.slice(name.length + 2)}`;
  if (message.startsWith(`${name} `)) return message;
  return `${name} failed: ${message}`;
}

/**
 * Runs `checks` (the preconditions of every step), then the steps. A failed check stops
 * before any step with the check's own error, and a hint that nothing was done.
 */
export async function runSteps(
  pipeline: string,
  steps: Step[],
  onStep?: (name: string) => void,
  checks?: () => Promise<unknown>,
): Promise<RepoResult> {
  try {
    await checks?.();
  } catch (err) {
    const inner = toCmfError(err);
    const notRun = steps.map((s) => s.name);
    throw new CmfError(inner.code, inner.exitCode, inner.message, {
      hint: [inner.hint, `Nothing was transferred; not run: ${notRun.join(', ')}.`]
        .filter(Boolean)
        .join(' '),
      data: { failedStep: 'checks', completed: [], notRun, error: inner.toJSON() },
      cause: err,
    });
  }
  const done: StepResult[] = [];
  for (const step of steps) {
    onStep?.(step.name);
    try {
      done.push({ step: step.name, result: await step.run() });
    } catch (err) {
      const inner = toCmfError(err);
      const remaining = steps.slice(steps.indexOf(step) + 1).map((s) => s.name);
      throw new CmfError(inner.code, inner.exitCode, underStep(step.name, inner.message), {
        hint: [
          inner.hint,
          done.length > 0 ? `Completed: ${done.map((d) => d.step).join(', ')}.` : '',
          remaining.length > 0 ? `Not run: ${remaining.join(', ')}.` : '',
        ]
          .filter(Boolean)
          .join(' '),
        data: { failedStep: step.name, completed: done, notRun: remaining, error: inner.toJSON() },
        cause: err,
      });
    }
  }
  return { pipeline, steps: done };
}
