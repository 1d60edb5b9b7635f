import { Flags } from '@oclif/core';
import { CmfCommand } from '../../cli/base-command.js';
import {
  commonInitFlags,
  commonInitOptions,
  initDescription,
  renderInit,
} from '../../cli/init-flags.js';
import { initProject, type InitResult } from '../../config/init.js';

export default class InitAmazonS3 extends CmfCommand<InitResult> {
  static override summary = 'Use an Amazon S3 bucket as the artifact remote.';
  static override description = initDescription(
    "Initialises cmf with the DVC remote 'amazons3'. Keys given as flags go to .dvc/config.local. Without them, the standard AWS credentials apply at run time: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, AWS_PROFILE or --profile, ~/.aws/credentials, or an instance role.",
  );
  static override examples = [
    '<%= config.bin %> <%= command.id %> --url s3://my-bucket/cmf --profile research --git-remote-url https://github.com/me/project.git',
    '<%= config.bin %> <%= command.id %> --url s3://my-bucket --access-key-id AKIA… --secret-key … --session-token … --git-remote-url https://github.com/me/project.git',
  ];
  static override flags = {
    url: Flags.string({
      required: true,
      summary: 'Bucket URL, e.g. s3://my-bucket/cmf.',
      helpValue: '<s3://bucket[/prefix]>',
    }),
    'access-key-id': Flags.string({
      summary: 'Access key id (default: from the environment or AWS profile at run time).',
    }),
    'secret-key': Flags.string({ summary: 'Secret access key (goes with --access-key-id).' }),
    'session-token': Flags.string({
      summary: 'Session token of temporary credentials (needs both keys).',
    }),
    profile: Flags.string({
      summary: 'AWS profile name from ~/.aws/credentials, stored as the remote profile.',
    }),
    ...commonInitFlags,
  };

  async run(): Promise<InitResult> {
    const { flags } = await this.parse(InitAmazonS3);
    const result = await initProject({
      type: 'amazonS3',
      url: flags.url,
      accessKeyId: flags['access-key-id'],
      secretKey: flags['secret-key'],
      sessionToken: flags['session-token'],
      profile: flags.profile,
      ...commonInitOptions(flags),
    });
    renderInit(this, result);
    return result;
  }
}
