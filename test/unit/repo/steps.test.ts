/** repo push/pull: a failed step's message names the step once. */
import { describe, expect, it } from 'vitest';
import { OperationError } from '../../../src/errors/index.js';
import { runSteps } from '../../../src/repo/steps.js';

async function messageOf(step: string, message: string): Promise<string> {
  const steps = [
    { name: 'artifact pull', run: () => Promise.resolve({}) },
    {
      name: step,
      run: () => Promise.reject(new OperationError('X', message, { hint: 'Do this.' })),
    },
    { name: 'git pull', run: () => Promise.resolve({}) },
  ];
  try {
    await runSteps('P', steps);
  } catch (err) {
    expect((err as OperationError).hint).toBe(
      'Do this. Completed: artifact pull. Not run: git pull.',
    );
    return (err as Error).message;
  }
  throw new Error('expected a failure');
}

describe('runSteps', () => {
  it.each([
    [
      'metadata pull',
      'metadata pull: cannot reach the cmf server at http://h/api/mlmd_pull (ECONNREFUSED)',
      'metadata pull failed: cannot reach the cmf server at http://h/api/mlmd_pull (ECONNREFUSED)',
    ],
    [
      'metadata push',
      'metadata push failed with HTTP 500: boom',
      'metadata push failed with HTTP 500: boom',
    ],
    [
      'metadata pull',
      'Pipeline P does not exist',
      'metadata pull failed: Pipeline P does not exist',
    ],
    // Another operation's name that merely starts like the step's is not the step's name.
    ['git push', 'git push-options are bad', 'git push failed: git push-options are bad'],
  ])('step %s, message %j → %j', async (step, message, expected) => {
    expect(await messageOf(step, message)).toBe(expected);
  });
});
