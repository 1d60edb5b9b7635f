import { describe, expect, it } from 'vitest';
import { bucketUrls } from '../../../src/remotes/s3.js';
import { EMPTY_SHA256, signS3, uriEncode } from '../../../src/remotes/s3-sign.js';

// The worked examples of AWS's "Signature Version 4, authorization header" documentation for
// S3: the example key pair, bucket `examplebucket`, us-east-1, 24 May 2013 00:00:00 UTC. The
// signatures there were computed by AWS; matching them checks every step of ours. (The real
// server, Ceph RGW, checks the rest in test/integration/remotes/s3.test.ts.)
const credentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const now = new Date(Date.UTC(2013, 4, 24));

describe('S3 SigV4 signing', () => {
  it('signs a ranged GET of an object as AWS does', () => {
    const h = signS3({
      method: 'GET',
      url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'),
      region: 'us-east-1',
      credentials,
      headers: { range: 'bytes=0-9' },
      now,
    });
    expect(h['x-amz-date']).toBe('20130524T000000Z');
    expect(h['x-amz-content-sha256']).toBe(EMPTY_SHA256);
    expect(h.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('signs a listing with its query parameters sorted', () => {
    const h = signS3({
      method: 'GET',
      url: new URL('https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J'),
      region: 'us-east-1',
      credentials,
      now,
    });
    expect(h.authorization).toMatch(
      /SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7$/,
    );
  });

  it('adds and signs the session token of temporary credentials', () => {
    const h = signS3({
      method: 'HEAD',
      url: new URL('http://127.0.0.1:8000/b/k'),
      region: 'us-east-1',
      credentials: { ...credentials, sessionToken: 'token+/=' },
      now,
    });
    expect(h['x-amz-security-token']).toBe('token+/=');
    expect(h.authorization).toContain('x-amz-security-token');
    expect(h.host).toBe('127.0.0.1:8000');
  });

  it('encodes as RFC 3986 asks, keeping slashes in paths', () => {
    expect(uriEncode("a b/c!'()*~é")).toBe('a%20b%2Fc%21%27%28%29%2A~%C3%A9');
    expect(uriEncode('dir/a b.txt', true)).toBe('dir/a%20b.txt');
  });
});

describe('S3 bucket URLs', () => {
  it('uses path style on custom endpoints, virtual hosts on AWS unless the name has dots', () => {
    const minio = bucketUrls('my-bucket', 'us-east-1', 'http://127.0.0.1:9000');
    expect(minio.bucket.href).toBe('http://127.0.0.1:9000/my-bucket');
    expect(minio.objects.href).toBe('http://127.0.0.1:9000/my-bucket/');
    const behindProxy = bucketUrls('b', 'us-east-1', 'https://gw.example.org/s3/');
    expect(behindProxy.objects.href).toBe('https://gw.example.org/s3/b/');
    const aws = bucketUrls('my-bucket', 'eu-west-1');
    expect(aws.objects.href).toBe('https://my-bucket.s3.eu-west-1.amazonaws.com/');
    const dotted = bucketUrls('my.bucket', 'eu-west-1');
    expect(dotted.objects.href).toBe('https://s3.eu-west-1.amazonaws.com/my.bucket/');
    expect(() => bucketUrls('b', 'us-east-1', 'ftp://x')).toThrow(/endpoint/);
  });
});
