import { describe, expect, it } from 'vitest';
import {
  hasUrlPassword,
  maskUrlPasswords,
  stripUrlPasswords,
} from '../../../src/config/url-password.js';

describe('passwords in URLs', () => {
  it.each([
    ['http://admin:hunter2@srv:8080', 'http://admin:****@srv:8080', 'http://admin@srv:8080'],
    ['ssh://u:p@ss@host/srv', 'ssh://u:****@host/srv', 'ssh://u@host/srv'],
    ['s3://:secret@bucket', 's3://:****@bucket', 's3://bucket'],
    ['a=s3://a:b@x/1,s3://c:d@y', 'a=s3://a:****@x/1,s3://c:****@y', 'a=s3://a@x/1,s3://c@y'],
  ])('%s', (url, masked, stripped) => {
    expect(hasUrlPassword(url)).toBe(true);
    expect(maskUrlPasswords(url)).toBe(masked);
    expect(stripUrlPasswords(url)).toBe(stripped);
  });

  it.each([
    'ssh://u@host/srv',
    'http://srv:8080/a:b@c',
    'git@github.com:me/p.git',
    'http://u:@h',
    '/tmp/a:b@c',
  ])('%s has none and is left alone', (text) => {
    expect(hasUrlPassword(text)).toBe(false);
    expect(maskUrlPasswords(text)).toBe(text);
    expect(stripUrlPasswords(text)).toBe(text);
  });
});
