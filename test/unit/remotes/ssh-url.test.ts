import { describe, expect, it } from 'vitest';
import { parseSshUrl } from '../../../src/remotes/ssh-url.js';

describe('SSH remote URLs, read as DVC reads them (fsspec infer_storage_options)', () => {
  it('takes the path as written: no percent-decoding, a # is part of it, a ?query is split off', () => {
    const path = (url: string) => parseSshUrl(url).path;
    expect(path('ssh://h/dir/sp ace#1%20x')).toBe('/dir/sp ace#1%20x');
    expect(path('ssh://h/p%20q')).toBe('/p%20q');
    // Not a valid escape: was "URI malformed" when decoded.
    expect(path('ssh://h/100%done')).toBe('/100%done');
    expect(path('ssh://h/a%2Fb')).toBe('/a%2Fb');
    expect(parseSshUrl('ssh://h/q?x')).toMatchObject({ path: '/q', query: 'x' });
    expect(parseSshUrl('ssh://h/q?x#y')).toMatchObject({ path: '/q#y', query: 'x' });
    expect(path('ssh://h/ünï/日本')).toBe('/ünï/日本');
    expect(path('ssh://h')).toBe('/');
    expect(path('ssh://h/a#')).toBe('/a');
  });

  it('reads user, host and port as DVC does', () => {
    expect(parseSshUrl('ssh://alice@h.example:2222/srv/dvc')).toEqual({
      user: 'alice',
      host: 'h.example',
      port: 2222,
      path: '/srv/dvc',
    });
    // The user as written, the password not part of it, the last @ ends it; the host's case kept.
    expect(parseSshUrl('ssh://a%40b:pw@Host.Example/x')).toMatchObject({
      user: 'a%40b',
      host: 'Host.Example',
    });
    expect(parseSshUrl('ssh://me@corp@gw/x')).toMatchObject({ user: 'me@corp', host: 'gw' });
    expect(parseSshUrl('ssh://h:/x')).toMatchObject({ host: 'h', port: undefined });
    expect(parseSshUrl('ssh://h:0/x')).toMatchObject({ port: undefined });
    expect(parseSshUrl('ssh://[::1]:2200/x')).toMatchObject({ host: '::1', port: 2200 });
    expect(parseSshUrl('ssh://[::1]/x')).toMatchObject({ host: '::1', port: undefined });
    expect(parseSshUrl('SSH://h/x')).toMatchObject({ host: 'h', path: '/x' });
  });

  it('refuses what DVC could not read either, as a configuration error (never a crash)', () => {
    for (const [url, why] of [
      ['ssh://h:x/p', /port 'x' is not a number/],
      ['ssh://h:70000/p', /port 70000 is out of range/],
      ['ssh://h:22:23/p', /port '22:23'/],
      ['ssh://[::1/p', /'\[' without '\]'/],
      ['ssh:///p', /no host/],
      ['ssh://u@/p', /no host/],
    ] as const) {
      expect(() => parseSshUrl(url), url).toThrow(why);
      expect(() => parseSshUrl(url)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
    expect(() => parseSshUrl('s3://b/p')).toThrow(/Not an SSH URL/);
    expect(() => parseSshUrl('/local/dir')).toThrow(/Not an SSH URL/);
  });
});
