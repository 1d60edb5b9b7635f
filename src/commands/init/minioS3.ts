import { Flags } from '@oclif/core';
import { CmfCommand } from '../../cli/base-command.js';
import {
  commonInitFlags,
  commonInitOptions,
  initDescription,
  renderInit,
} from '../../cli/init-flags.js';
import { initProject, type InitResult } from '../../config/init.js';

export default class InitMinioS3 extends CmfCommand<InitResult> {
  static override summary = 'Use a MinIO (or other S3-compatible) bucket as the artifact remote.';
  static override description = initDescription(
    "Initialises cmf with the DVC remote 'minio'. The keys go to .dvc/config.local; without --access-key-id/--secret-key the standard AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY variables or AWS_PROFILE are used at run time and nothing secret is stored.",
  );
  static override examples = [
    '<%= config.bin %> <%= command.id %> --url s3://dvc-art --endpoint-url http://localhost:9000 --access-key-id minioadmin --secret-key minioadmin --git-remote-url https://github.com/me/project.git',
    'AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… <%= config.bin %> <%= command.id %> --url s3://dvc-art --endpoint-url http://localhost:9000 --git-remote-url https://github.com/me/project.git',
  ];
  static override flags = {
    url: Flags.string({
      required: true,
      summary: 'Bucket URL, e.g. s3://dvc-art.',
      helpValue: '<s3://bucket[/prefix]>',
    }),
    'endpoint-url': Flags.string({
      required: true,
      summary: 'MinIO server URL, e.g. http://localhost:9000.',
      helpValue: '<url>',
    }),
    'access-key-id': Flags.string({
      summary: 'Access key id (default: AWS_ACCESS_KEY_ID or the AWS profile at run time).',
    }),
    'secret-key': Flags.string({
      summary: 'Secret access key (default: AWS_SECRET_ACCESS_KEY or the AWS profile at run time).',
    }),
    ...commonInitFlags,
  };

  async run(): Promise<InitResult> {
    const { flags } = await this.parse(InitMinioS3);
    const result = await initProject({
      type: 'minioS3',
      url: flags.url,
      endpointUrl: flags['endpoint-url'],
      accessKeyId: flags['access-key-id'],
      secretKey: flags['secret-key'],
      ...commonInitOptions(flags),
    });
    renderInit(this, result);
    return result;
  }
}
