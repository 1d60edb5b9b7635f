import { describe, expect, it } from 'vitest';
import {
  describeMissingCommand,
  describeUnknownCommand,
} from '../../../src/cli/unknown-command.js';

const index = {
  commands: [
    'version',
    'pipeline:list',
    'init:minioS3',
    'init:local',
    'metadata:export',
    'metadata:push',
  ],
  topics: ['pipeline', 'init', 'metadata'],
};
const describe_ = (id: string) => describeUnknownCommand(id, index, 'cmf');

describe('unknown commands in our words', () => {
  it('names what was typed with spaces and suggests the closest command of the topic', () => {
    expect(describe_('pipeline:lst')).toEqual({
      message: "Unknown command 'cmf pipeline lst'",
      hint: "Did you mean 'cmf pipeline list'? See 'cmf pipeline --help'.",
    });
    expect(describe_('init:minios3').hint).toMatch(/^Did you mean 'cmf init minioS3'\?/);
    expect(describe_('pipline:list').hint).toMatch(/^Did you mean 'cmf pipeline list'\?/);
  });

  it('lists the commands of a topic when none is close, and points to cmf --help at the top', () => {
    expect(describe_('metadata:zzzzzz').hint).toBe(
      "'cmf metadata' has: export, push. See 'cmf metadata --help'.",
    );
    expect(describe_('nosuch')).toEqual({
      message: "Unknown command 'cmf nosuch'",
      hint: "See 'cmf --help' for the commands.",
    });
  });

  it('words after a command that takes no arguments are unexpected arguments of it', () => {
    expect(describe_('version:extra')).toEqual({
      message: "Unexpected argument to 'cmf version': extra",
      hint: "See 'cmf version --help'.",
    });
    expect(describe_('pipeline:list:a:b').message).toBe(
      "Unexpected arguments to 'cmf pipeline list': a b",
    );
  });
});

describe('a topic without a command', () => {
  it("names the topic's commands, as argparse requires one", () => {
    expect(describeMissingCommand('metadata', index, 'cmf')).toEqual({
      message: "Missing command: 'cmf metadata' needs one of export or push",
      hint: "Run 'cmf metadata <command>'; 'cmf metadata <command> --help' shows what a command takes.",
    });
    expect(describeMissingCommand('pipeline', index, 'cmf').message).toBe(
      "Missing command: 'cmf pipeline' needs one of list",
    );
    expect(describeMissingCommand('', index, 'cmf').message).toBe(
      "Missing command: 'cmf' needs one of init, metadata, pipeline or version",
    );
  });
});
