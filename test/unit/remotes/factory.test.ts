import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CmfError } from '../../../src/errors/index.js';
import { objectKey, oidFromKey, prefixOf } from '../../../src/remotes/driver.js';
import { openRemote, remoteKind, tlsOptions } from '../../../src/remotes/factory.js';
import { parseS3Url } from '../../../src/remotes/s3.js';
import { parseSshUrl } from '../../../src/remotes/ssh-url.js';

describe('remote factory', () => {
  it('chooses the driver by URL scheme', () => {
    const k = (url: string) => remoteKind({ name: 'r', url, options: {} });
    expect(k('/srv/dvc')).toBe('local');
    expect(k('relative/dir')).toBe('local');
    expect(k('s3://bucket/prefix')).toBe('s3');
    expect(k('ssh://host/srv')).toBe('ssh');
    expect(k('https://origin:8443/ns')).toBe('osdf');
    expect(() => k('gs://b')).toThrow(CmfError);
  });

  it('a local url holding a Windows path (as cmf init once wrote) opens with a warning', async () => {
    const warned = await openRemote(
      { name: 'r', url: '../C:\\Users\\me\\remote', options: {} },
      { cwd: '/p/.dvc' },
    );
    expect(warned.warnings?.()).toEqual([
      expect.stringContaining('its url holds the Windows path C:\\Users\\me\\remote'),
    ]);
    // Written with forward slashes too (`--path C:/x`).
    const slashed = await openRemote(
      { name: 'r', url: '../C:/rem', options: {} },
      { cwd: '/p/.dvc' },
    );
    expect(slashed.warnings?.()).toEqual([
      expect.stringContaining('its url holds the Windows path C:/rem'),
    ]);
    const plain = await openRemote({ name: 'r', url: '/srv/c:notes', options: {} });
    expect(plain.warnings?.()).toEqual([]);
  });

  it('parses S3 and SSH URLs as DVC does', () => {
    expect(parseS3Url('s3://b')).toEqual({ bucket: 'b', prefix: '' });
    expect(parseS3Url('s3://b/p/q/')).toEqual({ bucket: 'b', prefix: 'p/q/' });
    expect(parseSshUrl('ssh://alice@h.example:2222/srv/dvc')).toEqual({
      user: 'alice',
      host: 'h.example',
      port: 2222,
      path: '/srv/dvc',
    });
  });

  it('maps oids to DVC 3 keys and back', () => {
    const oid = 'd41d8cd98f00b204e9800998ecf8427e';
    expect(objectKey(oid)).toBe('files/md5/d4/1d8cd98f00b204e9800998ecf8427e');
    expect(objectKey(`${oid}.dir`)).toBe('files/md5/d4/1d8cd98f00b204e9800998ecf8427e.dir');
    expect(oidFromKey(objectKey(`${oid}.dir`))).toBe(`${oid}.dir`);
    expect(oidFromKey('files/md5/d4/.abc.tmp')).toBeUndefined();
    expect(() => objectKey('../../etc/passwd')).toThrow(CmfError);
  });

  it('maps oids to legacy (DVC 2.x) keys and back; each layout reads only its own keys', () => {
    const oid = 'd41d8cd98f00b204e9800998ecf8427e';
    const legacy = { legacy: true };
    expect(objectKey(oid, legacy)).toBe('d4/1d8cd98f00b204e9800998ecf8427e');
    expect(objectKey(`${oid}.dir`, legacy)).toBe('d4/1d8cd98f00b204e9800998ecf8427e.dir');
    expect(prefixOf(oid, legacy)).toBe('d4/');
    expect(oidFromKey(objectKey(`${oid}.dir`, legacy), legacy)).toBe(`${oid}.dir`);
    // A legacy name is not a raw MD5 (CRLF text): never taken for a DVC 3 key, so the S3
    // driver never sends it as Content-MD5.
    expect(oidFromKey(objectKey(oid, legacy))).toBeUndefined();
    expect(oidFromKey(objectKey(oid), legacy)).toBeUndefined();
    expect(oidFromKey('d4/.abc.tmp', legacy)).toBeUndefined();
    expect(() => objectKey('../../etc/passwd', legacy)).toThrow(CmfError);
  });

  it('refuses an invalid SSH port and an OSDF remote without a token', async () => {
    await expect(
      openRemote({ name: 's', url: 'ssh://h/x', options: { port: 'abc' } }),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    await expect(
      openRemote({ name: 'osdf', url: 'https://o/ns', options: {} }),
    ).rejects.toMatchObject({
      code: 'OSDF_NO_TOKEN',
    });
  });

  it('reads ssl_verify as DVC does: a boolean or a CA bundle path; anything else is refused', async () => {
    const tls = (v: string) => tlsOptions({ name: 'r', url: 's3://b', options: { ssl_verify: v } });
    for (const v of ['false', 'No', '0', 'OFF']) expect(await tls(v)).toEqual({ sslVerify: false });
    for (const v of ['true', 'YES', '1', 'on']) expect(await tls(v)).toEqual({ sslVerify: true });
    const dir = mkdtempSync(join(tmpdir(), 'cmf-tls-'));
    try {
      const notPem = join(dir, 'notes.txt');
      writeFileSync(notPem, 'hello');
      for (const [v, why] of [
        ['maybe', ': no such file'],
        [dir, ': it is a directory'],
        [notPem, 'holds no PEM certificate'],
      ]) {
        const err = await tls(v!).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'CONFIG_INVALID', exitCode: 4 });
        expect((err as CmfError).message).toContain(why);
      }
      // The S3 driver takes the same value: a path that is not a bundle does not open it.
      await expect(
        openRemote({ name: 'minio', url: 's3://b', options: { ssl_verify: '/no/ca.pem' } }),
      ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a timeout that is not a positive number of seconds (DVC's read_timeout / connect_timeout)", async () => {
    for (const [name, value] of [
      ['read_timeout', 'soon'],
      ['connect_timeout', '0'],
    ]) {
      await expect(
        openRemote({ name: 'minio', url: 's3://b', options: { [name!]: value! } }),
      ).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(name!) });
    }
    const d = await openRemote({
      name: 'minio',
      url: 's3://b',
      options: { read_timeout: '120', connect_timeout: '2.5' },
    });
    await d.close();
    // The SSH remote's `timeout` too (it was taken as NaN or a negative time, silently).
    for (const value of ['abc', '-5', '0']) {
      await expect(
        openRemote({ name: 'box', url: 'ssh://u@127.0.0.1/srv', options: { timeout: value } }),
      ).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('timeout'),
      });
    }
  });
});
