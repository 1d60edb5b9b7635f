import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { ConfigError, NotFoundError } from '../errors/index.js';
import {
  isTempName,
  type GetTarget,
  type PutSource,
  type RemoteDriver,
  type TransferOptions,
} from './driver.js';
import {
  authFailed,
  missingObject,
  networkCode,
  remoteFailed,
  tlsCode,
  tlsFailed,
  unreachable,
} from './errors.js';
import { counting } from './streams.js';

/** Files at least this big go up in parts (boto's threshold), the rest in one PUT. */
const MULTIPART_THRESHOLD = 8 << 20;
const PART_SIZE = 8 << 20;
const SMALL = 1 << 20;

export interface S3Settings {
  /** `s3://bucket[/prefix]` */
  url: string;
  /** For MinIO, Ceph and other S3-compatible servers: also switches to path-style URLs. */
  endpoint?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** A profile of ~/.aws/credentials / ~/.aws/config. */
  profile?: string;
  /** TLS certificate verification (default on). */
  sslVerify?: boolean;
  /** Connections to keep open. */
  maxSockets?: number;
}

type S3Module = typeof import('@aws-sdk/client-s3');

export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m || !m[1]) {
    throw new ConfigError('CONFIG_INVALID', `Not an S3 URL: ${url}`, {
      hint: 'Use s3://bucket or s3://bucket/prefix.',
    });
  }
  const prefix = m[2]!.replace(/\/+$/, '');
  return { bucket: m[1], prefix: prefix ? `${prefix}/` : '' };
}

/**
 * S3 (AWS, MinIO, Ceph RGW). Keys are `<prefix>/files/md5/..` in the bucket of the URL.
 * Checksums are computed only when the protocol requires them: the SDK's default
 * (aws-chunked streaming checksums) breaks streamed PUTs on Ceph and corrupts them on some
 * other servers (test-servers.md §2).
 */
export class S3Driver implements RemoteDriver {
  readonly kind = 's3' as const;
  readonly defaultJobs = 16;
  readonly canList = true;
  readonly location: string;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly hostPort: string;
  private readonly credentialName: string;

  private readonly sdk: S3Module;
  private readonly client: S3Client;

  private constructor(sdk: S3Module, client: S3Client, settings: S3Settings) {
    this.sdk = sdk;
    this.client = client;
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Url(settings.url));
    this.location = settings.url;
    const ep = settings.endpoint ? new URL(settings.endpoint) : undefined;
    this.hostPort = ep
      ? `${ep.hostname}:${ep.port || (ep.protocol === 'https:' ? 443 : 80)}`
      : `s3.${settings.region ?? 'us-east-1'}.amazonaws.com:443`;
    this.credentialName = settings.accessKeyId
      ? settings.sessionToken
        ? 'access_key_id, secret_access_key and session_token (temporary credentials expire)'
        : 'access_key_id and secret_access_key'
      : settings.profile
        ? `the AWS profile '${settings.profile}' (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials)`
        : 'the AWS credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, ' +
          'AWS_PROFILE or ~/.aws/credentials)';
    this.sessionToken =
      !!settings.sessionToken || (!settings.accessKeyId && !!process.env.AWS_SESSION_TOKEN);
  }

  /**
   * Whether requests carry a session token we know of. Ceph RGW answers a token it cannot
   * validate with 400 InvalidArgument (AWS with InvalidToken / ExpiredToken).
   */
  private readonly sessionToken: boolean;

  static async open(settings: S3Settings): Promise<S3Driver> {
    const sdk = await import('@aws-sdk/client-s3');
    parseS3Url(settings.url);
    const agentOpts = { keepAlive: true, maxSockets: settings.maxSockets ?? 64 };
    const config: S3ClientConfig = {
      region:
        settings.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
      requestHandler: {
        httpAgent: new HttpAgent(agentOpts),
        httpsAgent: new HttpsAgent({
          ...agentOpts,
          rejectUnauthorized: settings.sslVerify !== false,
        }),
      },
    };
    if (settings.endpoint) {
      config.endpoint = settings.endpoint;
      config.forcePathStyle = true;
    }
    if (settings.accessKeyId && settings.secretAccessKey) {
      config.credentials = {
        accessKeyId: settings.accessKeyId,
        secretAccessKey: settings.secretAccessKey,
        ...(settings.sessionToken ? { sessionToken: settings.sessionToken } : {}),
      };
    } else if (settings.profile) {
      config.profile = settings.profile;
    }
    return new S3Driver(sdk, new sdk.S3Client(config), settings);
  }

  private key(key: string): string {
    return this.prefix + key;
  }

  /** Maps SDK errors to cmf errors; returns undefined for "not found". */
  private fail(err: unknown, what: string, key?: string): Error {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number }; message?: string };
    const status = e.$metadata?.httpStatusCode;
    const name = e.name ?? '';
    const net = networkCode(err);
    if (net) return unreachable(this.hostPort, net, err);
    const tls = tlsCode(err);
    if (tls) return tlsFailed(this.hostPort, tls, err);
    if (
      name === 'InvalidAccessKeyId' ||
      name === 'SignatureDoesNotMatch' ||
      name === 'CredentialsProviderError' ||
      name === 'ExpiredToken' ||
      name === 'InvalidToken' ||
      (name === 'InvalidArgument' && this.sessionToken) ||
      (status === 403 && !key)
    ) {
      return authFailed(this.location, this.credentialName, e.message || name, err);
    }
    if (name === 'NoSuchBucket') return this.bucketMissing(err);
    if (status === 403) {
      return authFailed(this.location, this.credentialName, `access denied to ${key}`, err);
    }
    if (key && (name === 'NoSuchKey' || name === 'NotFound' || status === 404)) {
      return missingObject(this.location, key, err);
    }
    return remoteFailed(this.location, what, err);
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(
        new this.sdk.HeadObjectCommand({ Bucket: this.bucket, Key: this.key(key) }),
      );
      return true;
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.$metadata?.httpStatusCode !== 404) throw this.fail(err, `HEAD ${key}`);
    }
    // A HEAD has no body, so a missing bucket is a bare 404 too: ask once which it is.
    this.bucketChecked ??= this.client
      .send(new this.sdk.HeadBucketCommand({ Bucket: this.bucket }))
      .then(
        () => undefined,
        (err: unknown) => {
          const e = err as { $metadata?: { httpStatusCode?: number } };
          throw e.$metadata?.httpStatusCode === 404
            ? this.bucketMissing(err)
            : this.fail(err, 'HEAD bucket');
        },
      );
    await this.bucketChecked;
    return false;
  }

  private bucketChecked?: Promise<void>;

  private bucketMissing(cause: unknown): NotFoundError {
    return new NotFoundError(
      'REMOTE_BUCKET_MISSING',
      `The bucket '${this.bucket}' does not exist`,
      {
        hint: `Create the bucket '${this.bucket}' or fix the remote url.`,
        data: { bucket: this.bucket },
        cause,
      },
    );
  }

  async *list(prefix: string): AsyncIterable<string> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new this.sdk.ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.key(prefix),
            ContinuationToken: token,
          }),
        );
      } catch (err) {
        throw this.fail(err, `list ${prefix}`);
      }
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        const rel = o.Key.slice(this.prefix.length);
        if (!isTempName(rel.slice(rel.lastIndexOf('/') + 1))) yield rel;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async put(key: string, source: PutSource, opts: TransferOptions = {}): Promise<void> {
    let size: number;
    let body: Readable | Buffer;
    if (typeof source === 'string') {
      size = opts.size ?? (await stat(source)).size;
      // Small objects go up from memory: a stream costs more than the bytes.
      body =
        size < SMALL
          ? await readFile(source)
          : createReadStream(source, { highWaterMark: 1 << 20 });
    } else {
      size = source.size;
      body = source.stream;
    }
    try {
      if (size < MULTIPART_THRESHOLD) {
        await this.client.send(
          new this.sdk.PutObjectCommand({
            Bucket: this.bucket,
            Key: this.key(key),
            Body: body,
            ContentLength: size,
          }),
        );
        opts.onBytes?.(size);
      } else {
        const { Upload } = await import('@aws-sdk/lib-storage');
        const upload = new Upload({
          client: this.client,
          params: { Bucket: this.bucket, Key: this.key(key), Body: body },
          partSize: PART_SIZE,
          queueSize: 4,
          leavePartsOnError: false,
        });
        let seen = 0;
        upload.on('httpUploadProgress', (p) => {
          if (p.loaded !== undefined && p.loaded > seen) {
            opts.onBytes?.(p.loaded - seen);
            seen = p.loaded;
          }
        });
        await upload.done();
      }
    } catch (err) {
      if (!Buffer.isBuffer(body)) body.destroy();
      throw this.fail(err, `upload of ${key}`);
    }
  }

  async get(key: string, target: GetTarget, opts: TransferOptions = {}): Promise<void> {
    let body: Readable;
    try {
      const res = await this.client.send(
        new this.sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }),
      );
      body = res.Body as Readable;
    } catch (err) {
      throw this.fail(err, `download of ${key}`, key);
    }
    const sink = typeof target === 'string' ? createWriteStream(target) : target;
    try {
      await pipeline(body, counting(opts), sink);
    } catch (err) {
      throw this.fail(err, `download of ${key}`);
    }
  }

  /**
   * A GET of the first `limit` bytes: for a smaller object that is all of it, read into memory
   * without a local temp file. For a larger one the bytes are dropped (at most `limit`) and
   * undefined tells the caller to download it whole.
   */
  async read(key: string, limit: number): Promise<Buffer | undefined> {
    let res;
    try {
      res = await this.client.send(
        new this.sdk.GetObjectCommand({
          Bucket: this.bucket,
          Key: this.key(key),
          Range: `bytes=0-${limit - 1}`,
        }),
      );
    } catch (err) {
      // No byte 0 to send: the object exists and is empty.
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416)
        return Buffer.alloc(0);
      throw this.fail(err, `download of ${key}`, key);
    }
    const body = res.Body as Readable & { transformToByteArray(): Promise<Uint8Array> };
    const total = Number(/\/(\d+)$/.exec(res.ContentRange ?? '')?.[1] ?? res.ContentLength);
    if (!(total < limit)) {
      body.destroy();
      return undefined;
    }
    try {
      const bytes = await body.transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (err) {
      throw this.fail(err, `download of ${key}`);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(
        new this.sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(key) }),
      );
    } catch (err) {
      throw this.fail(err, `delete of ${key}`);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
