import { describe, expect, it } from 'vitest';
import { hasUrlSecret, maskUrlSecrets, stripUrlSecrets } from '../../../src/util/url-secrets.js';

describe('secrets in URLs', () => {
  it.each([
    ['http://admin:hunter2@srv:8080', 'http://admin:****@srv:8080', 'http://admin@srv:8080'],
    ['ssh://u:p@ss@host/srv', 'ssh://u:****@host/srv', 'ssh://u@host/srv'],
    ['s3://:secret@bucket', 's3://:****@bucket', 's3://bucket'],
    ['a=s3://a:b@x/1,s3://c:d@y', 'a=s3://a:****@x/1,s3://c:****@y', 'a=s3://a@x/1,s3://c@y'],
  ])('%s', (url, masked, stripped) => {
    expect(hasUrlSecret(url)).toBe(true);
    expect(maskUrlSecrets(url)).toBe(masked);
    expect(stripUrlSecrets(url)).toBe(stripped);
  });

  it.each([
    ['http://h/api?password=hunter2&x=1', 'http://h/api?password=****&x=1', 'http://h/api?x=1'],
    [
      'https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA%2F1&X-Amz-Signature=abc#f',
      'https://b.s3.amazonaws.com/k?X-Amz-Credential=****&X-Amz-Signature=****#f',
      'https://b.s3.amazonaws.com/k#f',
    ],
    [
      'http://h?access_token=t&client-secret=s',
      'http://h?access_token=****&client-secret=****',
      'http://h',
    ],
    ['https://u:p@h/?sig=x', 'https://u:****@h/?sig=****', 'https://u@h/'],
    ['see http://h/?Token=t then', 'see http://h/?Token=**** then', 'see http://h/ then'],
    // XRootD / OSDF carry a token in ?authz=.
    ['https://o:8443/ns/z?authz=SECRET1', 'https://o:8443/ns/z?authz=****', 'https://o:8443/ns/z'],
  ])('%s: query parameters that carry credentials', (url, masked, stripped) => {
    expect(hasUrlSecret(url)).toBe(true);
    expect(maskUrlSecrets(url)).toBe(masked);
    expect(stripUrlSecrets(url)).toBe(stripped);
  });

  it.each([
    'http://h/?page=2&sort=name',
    'http://h/?token=',
    'http://h/path/token=x',
    'ssh://u@host/srv',
    'http://srv:8080/a:b@c',
    'git@github.com:me/p.git',
    'http://u:@h',
    '/tmp/a:b@c',
  ])('%s has none and is left alone', (text) => {
    expect(hasUrlSecret(text)).toBe(false);
    expect(maskUrlSecrets(text)).toBe(text);
    expect(stripUrlSecrets(text)).toBe(text);
  });
});
