import { Flags } from '@oclif/core';
import { CmfCommand } from '../../cli/base-command.js';
import {
  commonInitFlags,
  commonInitOptions,
  initDescription,
  renderInit,
} from '../../cli/init-flags.js';
import { initProject, type InitResult } from '../../config/init.js';

export default class InitOsdfRemote extends CmfCommand<InitResult> {
  static override summary =
    'Use an OSDF origin (HTTP PUT with bearer tokens) as the artifact remote.';
  static override description = initDescription(
    "Initialises cmf with the DVC remote 'osdf'. The token comes from, in order: --access-token (a token file, or the token itself), BEARER_TOKEN_FILE, ~/.fdp/osdf_token, or is minted at each push and pull from --key-id/--key-path/--key-issuer. A token is stored as 'Bearer …' in .dvc/config.local; the [osdf] section of .cmfconfig records where it came from.",
  );
  static override examples = [
    '<%= config.bin %> <%= command.id %> --path https://origin.example.org:8443/nrp/fdp --access-token ~/tokens/osdf.jwt --git-remote-url https://github.com/me/project.git',
    '<%= config.bin %> <%= command.id %> --path https://origin.example.org:8443/nrp/fdp --cache https://osdf-director.osg-htc.org/nrp/fdp --key-id b2d3 --key-path ~/.ssh/osdf.pem --key-issuer https://t.example.org/fdp --git-remote-url https://github.com/me/project.git',
  ];
  static override flags = {
    path: Flags.string({
      required: true,
      summary: 'Origin URL including port and namespace path.',
      helpValue: '<https://host:port/ns>',
    }),
    cache: Flags.string({
      summary: 'Cache (director) URL tried first for downloads.',
      default: '',
      helpValue: '<url>',
    }),
    'access-token': Flags.string({ summary: 'Bearer token file, or the token itself.' }),
    'key-id': Flags.string({ summary: 'Key id (kid) of the signing key.' }),
    'key-path': Flags.string({
      summary: 'Unencrypted PEM private key (RSA or EC P-256) to sign tokens with.',
    }),
    'key-issuer': Flags.string({ summary: 'Token issuer URL.' }),
    'ssl-verify': Flags.boolean({
      summary: 'Verify the TLS certificates of the origin and the cache (every request).',
      default: true,
      allowNo: true,
    }),
    ...commonInitFlags,
  };

  async run(): Promise<InitResult> {
    const { flags } = await this.parse(InitOsdfRemote);
    const result = await initProject({
      type: 'osdfremote',
      path: flags.path,
      cache: flags.cache,
      accessToken: flags['access-token'],
      keyId: flags['key-id'],
      keyPath: flags['key-path'],
      keyIssuer: flags['key-issuer'],
      sslVerify: flags['ssl-verify'],
      ...commonInitOptions(flags),
    });
    renderInit(this, result);
    return result;
  }
}
