import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig, maskSecrets } from '../../../src/config/index.js';
import { serverClientOptions } from '../../../src/server/client-settings.js';
import { tempDir } from '../../helpers/tmp.js';

async function project(localConfig?: string): Promise<string> {
  const dir = await tempDir('cmf-client-settings-');
  mkdirSync(join(dir, '.dvc'));
  writeFileSync(join(dir, '.cmfconfig'), '[cmf]\nserver-url = http://cmf.example:8080/\n\n');
  if (localConfig) writeFileSync(join(dir, '.dvc/config.local'), localConfig);
  return dir;
}

describe('serverClientOptions', () => {
  it('reads the URL from .cmfconfig and the token from .dvc/config.local; the environment wins', async () => {
    const dir = await project('[db "cmf-server"]\n    password = from-file\n');
    expect(await serverClientOptions(join(dir), {})).toMatchObject({
      url: 'http://cmf.example:8080/',
      token: 'from-file',
      tokenSource: '.dvc/config.local',
    });
    expect(
      await serverClientOptions(dir, {
        CMF_SERVER_URL: 'http://env:1',
        CMF_SERVER_TOKEN: 'from-env',
        CMF_SERVER_TIMEOUT: '2.5',
        CMF_SERVER_RETRIES: '0',
      }),
    ).toEqual({
      url: 'http://env:1',
      token: 'from-env',
      tokenSource: 'CMF_SERVER_TOKEN',
      timeoutMs: 2500,
      retries: 0,
    });
    // `cmf init show` lists the token masked.
    const entry = maskSecrets((await resolveConfig(dir, {})).entries).find(
      (e) => e.key === 'cmf-server-token',
    );
    expect(entry).toMatchObject({ value: '********', source: '.dvc/config.local', secret: true });
  });

  it('works outside a project (metadata pull) from the environment and the default', async () => {
    const dir = await tempDir('cmf-client-settings-bare-');
    expect(await serverClientOptions(dir, {})).toMatchObject({
      url: 'http://127.0.0.1:80',
      token: undefined,
    });
    expect(
      await serverClientOptions(dir, { CMF_SERVER_URL: 'https://s', CMF_SERVER_TOKEN: 't' }),
    ).toMatchObject({ url: 'https://s', token: 't', tokenSource: 'CMF_SERVER_TOKEN' });
  });

  it('refuses a URL that is not http(s) and bad numbers (exit 4)', async () => {
    const dir = await tempDir('cmf-client-settings-bad-');
    await expect(
      serverClientOptions(dir, { CMF_SERVER_URL: 'cmf.example:8080' }),
    ).rejects.toMatchObject({ code: 'SERVER_URL_INVALID', exitCode: 4 });
    await expect(
      serverClientOptions(dir, { CMF_SERVER_URL: 'ftp://u:pw-s3cret@cmf.example' }),
    ).rejects.toMatchObject({
      message: 'cmf-server-url "ftp://u:****@cmf.example" is not an http(s) URL',
    });
    for (const url of [
      'http://cmf.example:8080/?x=1',
      'http://cmf.example:8080/#top',
      'http://cmf.example:8080?',
    ]) {
      await expect(serverClientOptions(dir, { CMF_SERVER_URL: url })).rejects.toMatchObject({
        code: 'SERVER_URL_INVALID',
        exitCode: 4,
        message: `cmf-server-url "${url}" has a query or fragment (?… or #…): the server's routes are appended to it`,
        hint: expect.stringMatching(
          /^Give the server's base URL only, e\.g\. http:\/\/cmf\.example:8080 \(/,
        ),
      });
    }
    await expect(serverClientOptions(dir, { CMF_SERVER_TIMEOUT: 'soon' })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });
});
