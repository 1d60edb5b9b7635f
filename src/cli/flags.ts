import { Flags } from '@oclif/core';

/**
 * Flags shared by many commands, spelled as Python cmf spells them (`--pipeline_name`,
 * short `-p`) with the hyphenated spelling accepted too.
 */
export const pipelineFlag = (opts: { required?: boolean } = {}) =>
  Flags.string({
    char: 'p',
    aliases: ['pipeline-name'],
    summary: 'Name of the pipeline.',
    required: opts.required ?? true,
  });

export const mlmdFileFlag = () =>
  Flags.string({
    char: 'f',
    aliases: ['file-name'],
    summary: 'Path of the MLMD file (default: ./mlmd, else mlmd in the project root).',
  });
