import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDvcConfig, updateIniFile } from '../../../src/config/dvc-config.js';
import { ConfigError } from '../../../src/errors/index.js';
import { tempDir } from '../../helpers/tmp.js';

async function repoWith(config: string, local?: string): Promise<string> {
  const root = await tempDir();
  await mkdir(join(root, '.dvc'));
  await writeFile(join(root, '.dvc', 'config'), config);
  if (local !== undefined) await writeFile(join(root, '.dvc', 'config.local'), local);
  return root;
}

describe('loadDvcConfig', () => {
  it('defaults: cache in .dvc/cache, reflink then copy, no remote', async () => {
    const root = await repoWith('');
    const cfg = await loadDvcConfig(root);
    expect(cfg.cacheDir).toBe(join(root, '.dvc', 'cache'));
    expect(cfg.cacheTypes).toEqual(['reflink', 'copy']);
    expect(cfg.defaultRemote).toBeUndefined();
    expect(cfg.remotes).toEqual({});
  });

  it('merges config.local over config and resolves relative paths against .dvc/', async () => {
    const root = await repoWith(
      '[core]\n    remote = Local-Storage\n[\'remote "local-storage"\']\n    url = ../store\n[cache]\n    dir = ../mycache\n    type = hardlink,copy\n',
      '[\'remote "local-storage"\']\n    password = s3cret\n',
    );
    const cfg = await loadDvcConfig(root);
    expect(cfg.defaultRemote).toBe('local-storage');
    expect(cfg.remotes['local-storage']).toEqual({
      name: 'local-storage',
      url: join(root, 'store'),
      options: { password: 's3cret' },
    });
    expect(cfg.cacheDir).toBe(join(root, 'mycache'));
    expect(cfg.cacheTypes).toEqual(['hardlink', 'copy']);
  });

  it('keeps URLs of network remotes and resolves remote:// inheritance', async () => {
    const root = await repoWith(
      '[\'remote "base"\']\n    url = s3://bucket/root\n    endpointurl = http://127.0.0.1:9000\n[\'remote "sub"\']\n    url = remote://base/sub/dir\n',
    );
    const cfg = await loadDvcConfig(root);
    expect(cfg.remotes.sub).toEqual({
      name: 'sub',
      url: 's3://bucket/root/sub/dir',
      options: { endpointurl: 'http://127.0.0.1:9000' },
    });
  });

  it('rejects an unknown cache.type with a config error', async () => {
    const root = await repoWith('[cache]\n    type = teleport\n');
    await expect(loadDvcConfig(root)).rejects.toBeInstanceOf(ConfigError);
  });

  it('reads cache.shared = group; any other value is a config error', async () => {
    expect((await loadDvcConfig(await repoWith(''))).cacheShared).toBe(false);
    const shared = await loadDvcConfig(await repoWith('[cache]\n    shared = group\n'));
    expect(shared.cacheShared).toBe(true);
    const bad = loadDvcConfig(await repoWith('[cache]\n    shared = world\n'));
    await expect(bad).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: "Invalid cache.shared in .dvc/config: 'world' (DVC knows only 'group')",
    });
  });

  it('merges the system and global files under the project ones, as DVC does', async () => {
    const root = await repoWith('[core]\n    remote = shared\n');
    const system = await tempDir();
    const xdg = await tempDir();
    await writeFile(
      join(system, 'config'),
      '[core]\n    remote = sys\n[\'remote "sys"\']\n    url = /sys\n[cache]\n    type = copy\n',
    );
    await mkdir(join(xdg, 'dvc'));
    await writeFile(
      join(xdg, 'dvc', 'config'),
      '[\'remote "shared"\']\n    url = s3://team/store\n[cache]\n    type = hardlink\n',
    );
    const env = { HOME: xdg, DVC_SYSTEM_CONFIG_DIR: system, XDG_CONFIG_HOME: xdg };
    const cfg = await loadDvcConfig(root, env);
    expect(cfg.defaultRemote).toBe('shared');
    expect(cfg.remotes.shared?.url).toBe('s3://team/store');
    expect(cfg.remotes.sys?.url).toBe('/sys');
    expect(cfg.cacheTypes).toEqual(['hardlink']);
    // DVC_GLOBAL_CONFIG_DIR wins over XDG_CONFIG_HOME.
    const elsewhere = await tempDir();
    const cfg2 = await loadDvcConfig(root, { ...env, DVC_GLOBAL_CONFIG_DIR: elsewhere });
    expect(cfg2.remotes.shared).toBeUndefined();
    expect(cfg2.cacheTypes).toEqual(['copy']);
  });

  it('works with no .dvc/config at all', async () => {
    const root = await tempDir();
    expect((await loadDvcConfig(root)).cacheTypes).toEqual(['reflink', 'copy']);
  });
});

describe('updateIniFile', () => {
  it('changes one section and keeps the others', async () => {
    const root = await repoWith('[core]\n    remote = a\n[\'remote "a"\']\n    url = /x\n');
    const file = join(root, '.dvc', 'config');
    await updateIniFile(file, (doc) => {
      doc.set('remote "b"', new Map([['url', '/y']]));
      doc.get('core')!.set('remote', 'b');
    });
    expect(await readFile(file, 'utf8')).toBe(
      '[core]\n    remote = b\n[\'remote "a"\']\n    url = /x\n[\'remote "b"\']\n    url = /y\n',
    );
  });
});

describe('updateIniFile keeps the style of the file', () => {
  it('keeps a UTF-8 byte order mark and CRLF line ends, as configobj does', async () => {
    const root = await repoWith(
      '\uFEFF[core]\r\n    remote = old\r\n[\'remote "old"\']\r\n    url = /srv/old\r\n',
    );
    const path = join(root, '.dvc', 'config');
    await updateIniFile(path, (doc) => doc.get('core')!.set('remote', 'new'));
    expect(await readFile(path, 'utf8')).toBe(
      '\uFEFF[core]\r\n    remote = new\r\n[\'remote "old"\']\r\n    url = /srv/old\r\n',
    );
    expect((await loadDvcConfig(root)).defaultRemote).toBe('new');
    // A plain file stays plain.
    await writeFile(path, '[core]\n    remote = a\n');
    await updateIniFile(path, (doc) => doc.get('core')!.set('remote', 'b'));
    expect(await readFile(path, 'utf8')).toBe('[core]\n    remote = b\n');
  });
});
