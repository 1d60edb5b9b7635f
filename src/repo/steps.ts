/**
 * `cmf repo push/pull` run three steps in order; the first failure stops the chain and is
 * reported under the step's name, with what the earlier steps did (cmflib goes on after a
 * failed artifact push, §11 item 4).
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

export async function runSteps(
  pipeline: string,
  steps: Step[],
  onStep?: (name: string) => void,
): Promise<RepoResult> {
  const done: StepResult[] = [];
  for (const step of steps) {
    onStep?.(step.name);
    try {
      done.push({ step: step.name, result: await step.run() });
    } catch (err) {
      const inner = toCmfError(err);
      const remaining = steps.slice(steps.indexOf(step) + 1).map((s) => s.name);
      throw new CmfError(inner.code, inner.exitCode, underStep(step.name, inner.message), {
        hint: [inner.hint, remaining.length > 0 ? `Not run: ${remaining.join(', ')}.` : '']
          .filter(Boolean)
          .join(' '),
        data: { failedStep: step.name, completed: done, notRun: remaining, error: inner.toJSON() },
        cause: err,
      });
    }
  }
  return { pipeline, steps: done };
}
