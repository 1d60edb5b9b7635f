import { createHash } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { ConfigError, IntegrityError, NotFoundError } from '../errors/index.js';
import {
  isTempName,
  oidFromKey,
  type GetTarget,
  type PutSource,
  type RemoteDriver,
  type Spill,
  type TransferOptions,
} from './driver.js';
import { accessDenied, authFailed, missingObject, noCredentials, remoteFailed } from './errors.js';
import { waitAtMost } from '../util/wait-at-most.js';
import {
  FIRST_ANSWER_TIMEOUT_MS,
  hostPortOf,
  HttpTransport,
  rangeFrom,
  readText,
  receiveBody,
  receiveRest,
  isFileBody,
  type FileBody,
  type HttpTarget,
} from './http.js';
import { DirectGetPool, type DirectResult, type DirectTarget } from './http-direct.js';
import { withKeepOnStop, withUndoOnStop } from './in-flight.js';
import { UploadRecords, type UploadTarget } from './upload-records.js';
import { STALE_TEMP_MS } from '../fs/stale-temps.js';
import { signS3, uriEncode, UNSIGNED_PAYLOAD, type S3Credentials } from './s3-sign.js';

/**
 * Files at least this big go up in parts (a multipart upload, which an interrupted push
 * resumes), the rest in one PUT. rclone's cut-off is 200 MiB; parts pay a create and a
 * complete request each, so only files well past the size where one stream suffices use them.
 */
const MULTIPART_THRESHOLD = 32 << 20;
const PART_SIZE = 8 << 20;
/** S3's limit on the parts of one upload. */
const MAX_PARTS = 10_000;
/** Parts of one upload sent at once (each held in memory while it goes). */
const PARTS_IN_FLIGHT = 4;
/** How long close() waits for the aborts of failed multipart uploads. */
const CLOSE_ABORT_MS = 3000;
/** See {@link S3Settings.staleUploadMs}; as long as the local temp-file sweep waits. */
const STALE_UPLOAD_MS = STALE_TEMP_MS;
/** Objects below this size go up from memory: a stream costs more than the bytes. */
const SMALL = 1 << 20;
/** DVC's (botocore's) default read_timeout: a request may go this long without data. */
const READ_TIMEOUT_MS = 60_000;

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
  /** PEM CA bundle to verify with (ssl_verify = <path>). */
  ca?: string;
  /** Connections to keep open. */
  maxSockets?: number;
  /**
   * Age (ms, by the server's clock) from which a multipart upload of an object this driver is
   * about to upload in parts counts as left by a killed run, and is aborted (default 1 h).
   */
  staleUploadMs?: number;
  /**
   * Where the project records its multipart uploads (upload-records.ts): with it, an upload
   * that is interrupted or fails is kept, and the next push of the object resumes it. Without
   * it, such an upload is aborted.
   */
  uploadRecords?: string;
  /**
   * DVC's read_timeout, in ms: how long a request may go without data once the endpoint has
   * answered in this run (default 60 s).
   */
  readTimeoutMs?: number;
  /**
   * DVC's connect_timeout, in ms: how long to wait for a connection and, until the endpoint
   * has answered once in this run, for its first answer (default 10 s). A timeout then stops
   * the transfer with one REMOTE_NOT_ANSWERING error.
   */
  connectTimeoutMs?: number;
}

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

/** An S3 error answer, shaped like the SDK's errors so that one mapping serves both. */
interface S3Failure {
  name: string;
  message: string;
  $metadata: { httpStatusCode?: number };
  /** Set on an AccessDenied once it is known to be a missing permission, not refused keys. */
  permission?: boolean;
}

/** The URLs of a bucket: path style for custom endpoints, virtual-hosted on AWS. */
export function bucketUrls(
  bucket: string,
  region: string,
  endpoint?: string,
): { bucket: URL; objects: URL } {
  let base: URL;
  if (endpoint) {
    try {
      base = new URL(endpoint);
      if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error('not http(s)');
    } catch (err) {
      throw new ConfigError(
        'CONFIG_INVALID',
        `The S3 endpoint is not an http(s) URL: ${endpoint}`,
        {
          hint: 'Set endpointurl to http(s)://host:port of the S3 server.',
          cause: err,
        },
      );
    }
  } else if (/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket)) {
    const host = new URL(`https://${bucket}.s3.${region}.amazonaws.com/`);
    return { bucket: host, objects: host };
  } else {
    base = new URL(`https://s3.${region}.amazonaws.com/`);
  }
  const path = `${base.pathname.replace(/\/*$/, '/')}${uriEncode(bucket)}`;
  return { bucket: new URL(path, base), objects: new URL(`${path}/`, base) };
}

/**
 * S3 (AWS, MinIO, Ceph RGW). Keys are `<prefix>/files/md5/..` in the bucket of the URL.
 * Requests are signed here (s3-sign.ts) and sent over keep-alive connections; the AWS SDK is
 * loaded only for what it does better than a few lines: multipart uploads of big files and
 * the credential chain (environment, profiles, SSO, instance roles) when no key is configured.
 */
export class S3Driver implements RemoteDriver {
  readonly kind = 's3' as const;
  readonly defaultJobs = 16;
  readonly canList = true;
  readonly location: string;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly region: string;
  private readonly urls: { bucket: URL; objects: URL };
  private readonly target: HttpTarget;
  private readonly credentialName: string;
  private readonly http: HttpTransport;
  private readonly settings: S3Settings;
  private readonly readTimeoutMs: number;
  /**
   * Whether requests carry a session token we know of. Ceph RGW answers a token it cannot
   * validate with 400 InvalidArgument (AWS with InvalidToken / ExpiredToken).
   */
  private readonly sessionToken: boolean;
  /** The configured key pair (and session token), when there is one. */
  private readonly fixedCredentials?: S3Credentials;
  private sdkClient?: Promise<S3Client>;
  /** The HTTPS agent of the SDK client (see sdk()). */
  private sdkAgent?: HttpsAgent;
  private bucketChecked?: Promise<void>;
  private keysChecked?: Promise<boolean>;
  /**
   * Multipart uploads of this driver that failed and could not be aborted then (the server
   * was down): upload id → key. Aborted when the key is uploaded again, or on close.
   */
  private readonly failedUploads = new Map<string, string>();
  private readonly records?: UploadRecords;

  private constructor(settings: S3Settings) {
    this.settings = settings;
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Url(settings.url));
    this.location = settings.url;
    this.region =
      settings.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
    this.urls = bucketUrls(this.bucket, this.region, settings.endpoint);
    this.target = {
      hostPort: hostPortOf(this.urls.bucket),
      location: this.location,
      endpoint: `S3 endpoint ${settings.endpoint ?? this.urls.bucket.origin}`,
    };
    this.readTimeoutMs = settings.readTimeoutMs ?? READ_TIMEOUT_MS;
    if (settings.uploadRecords) this.records = new UploadRecords(settings.uploadRecords);
    this.http = new HttpTransport({
      maxSockets: settings.maxSockets ?? 64,
      sslVerify: settings.sslVerify,
      ca: settings.ca,
      firstAnswerTimeoutMs: settings.connectTimeoutMs,
    });
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
    if (settings.accessKeyId && settings.secretAccessKey) {
      this.fixedCredentials = {
        accessKeyId: settings.accessKeyId,
        secretAccessKey: settings.secretAccessKey,
        ...(settings.sessionToken ? { sessionToken: settings.sessionToken } : {}),
      };
    }
  }

  static async open(settings: S3Settings): Promise<S3Driver> {
    return new S3Driver(settings);
  }

  /** The AWS SDK client, created on first use (multipart uploads, credential chain). */
  private sdk(): Promise<S3Client> {
    this.sdkClient ??= import('@aws-sdk/client-s3').then((sdk) => {
      const s = this.settings;
      const config: S3ClientConfig = {
        region: this.region,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts: 3,
        // Idle limits, not limits on a request's duration: a part may take long to go up.
        requestHandler: {
          connectionTimeout: s.connectTimeoutMs ?? FIRST_ANSWER_TIMEOUT_MS,
          socketTimeout: this.readTimeoutMs,
          // The same certificate checks as the requests this driver sends itself. An Agent
          // of ours, not agent options: for a request with `Expect: 100-continue` (every
          // part of a multipart upload) the SDK makes a fresh agent of its own, without
          // the options, unless the agent was given as an instance; a custom CA or
          // ssl_verify = false then failed every upload of a big file.
          httpsAgent: (this.sdkAgent = new HttpsAgent({
            keepAlive: true,
            maxSockets: s.maxSockets ?? 64,
            rejectUnauthorized: s.sslVerify !== false,
            ...(s.ca !== undefined ? { ca: s.ca } : {}),
          })),
        },
      };
      if (s.endpoint) {
        config.endpoint = s.endpoint;
        config.forcePathStyle = true;
      }
      if (this.fixedCredentials) config.credentials = this.fixedCredentials;
      else if (s.profile) config.profile = s.profile;
      return new sdk.S3Client(config);
    });
    return this.sdkClient;
  }

  /** Configured keys, else the SDK's chain (memoized and refreshed by the SDK). */
  private async credentials(): Promise<S3Credentials> {
    if (this.fixedCredentials) return this.fixedCredentials;
    const client = await this.sdk();
    return client.config.credentials();
  }

  private objectUrl(key: string): URL {
    return new URL(uriEncode(this.prefix + key, true), this.urls.objects);
  }

  /** The headers of a signed request (a credential failure is a cmf error). */
  private async sign(
    method: string,
    url: URL,
    what: string,
    opts: { headers?: Record<string, string>; unsigned?: boolean } = {},
  ): Promise<Record<string, string>> {
    let credentials: S3Credentials;
    try {
      credentials = await this.credentials();
    } catch (err) {
      throw this.fail(err, what);
    }
    return signS3({
      method,
      url,
      region: this.region,
      credentials,
      headers: opts.headers,
      payloadHash: opts.unsigned ? UNSIGNED_PAYLOAD : undefined,
    });
  }

  /** Signs and sends one request; the response may have any status. */
  private async request(
    method: string,
    url: URL,
    what: string,
    opts: {
      headers?: Record<string, string>;
      body?: Buffer | Readable | FileBody;
      unsigned?: boolean;
    } = {},
  ): Promise<IncomingMessage> {
    const headers = await this.sign(method, url, what, opts);
    return this.http.send(this.target, {
      method,
      url,
      headers,
      body: opts.body,
      timeoutMs: this.readTimeoutMs,
    });
  }

  /** The cmf error for an S3 error answer (its XML body read for the error code). */
  private async failure(res: IncomingMessage, what: string, key?: string): Promise<Error> {
    const status = res.statusCode ?? 0;
    const xml = await readText(res).catch(() => '');
    const tag = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
    const failure: S3Failure = {
      name: tag('Code') ?? (status === 404 ? 'NotFound' : `HTTP${status}`),
      message: tag('Message') ?? `HTTP ${status} ${res.statusMessage ?? ''}`.trim(),
      $metadata: { httpStatusCode: status },
    };
    if (failure.name === 'AccessDenied') {
      failure.permission = await this.deniedPermission(xml.includes('<BucketName>'));
    }
    // AWS answers a request to the wrong region with a redirect (a HEAD with a bare 301) and
    // names the bucket's region in a header: say so instead of retrying in vain.
    const region = res.headers['x-amz-bucket-region'];
    if ((status === 301 || failure.name === 'PermanentRedirect') && typeof region === 'string') {
      return new ConfigError(
        'REMOTE_WRONG_REGION',
        `The bucket '${this.bucket}' is in region ${region}, not ${this.region}`,
        {
          hint: `Set region = ${region} for the remote (.dvc/config), or AWS_REGION=${region}.`,
          data: { bucket: this.bucket, region, configured: this.region },
          cause: failure,
        },
      );
    }
    return this.fail(failure, what, key);
  }

  /**
   * Whether an AccessDenied means a missing permission rather than refused keys. AWS and
   * MinIO refuse keys with their own codes (InvalidAccessKeyId, SignatureDoesNotMatch), so
   * there AccessDenied is a permission. Ceph RGW says AccessDenied for both, but names the
   * bucket only once the keys passed; without that, the keys are tried on ListBuckets, which
   * every account may ask.
   */
  private async deniedPermission(namesBucket: boolean): Promise<boolean> {
    if (namesBucket || !this.settings.endpoint) return true;
    this.keysChecked ??= (async () => {
      try {
        const res = await this.request('GET', new URL('./', this.urls.bucket), 'ListBuckets');
        res.resume();
        return res.statusCode === 200;
      } catch {
        return false;
      }
    })();
    return this.keysChecked;
  }

  /** Maps S3 and SDK errors to cmf errors. */
  private fail(err: unknown, what: string, key?: string): Error {
    const e = err as Partial<S3Failure>;
    const status = e.$metadata?.httpStatusCode;
    const name = e.name ?? '';
    if (name === 'CredentialsProviderError') {
      // The SDK says "from any providers" for a profile that does not exist, too.
      const profile = this.settings.profile || process.env.AWS_PROFILE;
      const detail = profile
        ? `the AWS profile '${profile}' was not found, or holds no keys (${e.message || name})`
        : e.message || name;
      return noCredentials(this.location, this.credentialName, detail, err);
    }
    if (status === undefined) return this.http.transportError(this.target, what, err);
    // Keys the server accepted, of an account without the permission (another account's
    // bucket, a read-only policy): telling the user to check the keys would mislead.
    if (name === 'AccessDenied' && e.permission !== false) {
      const { operation, permission } = operationOf(what);
      return accessDenied(
        this.location,
        this.bucket,
        operation,
        permission,
        this.credentialName,
        err,
      );
    }
    if (
      name === 'InvalidAccessKeyId' ||
      name === 'SignatureDoesNotMatch' ||
      name === 'ExpiredToken' ||
      name === 'InvalidToken' ||
      (name === 'InvalidArgument' && this.sessionToken) ||
      (name === 'AccessDenied' && e.permission === false) ||
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
    if (name === 'BadDigest') {
      return new IntegrityError(
        'CACHE_OBJECT_CORRUPT',
        `The server refused ${what}: the local copy does not match its MD5 (its name)`,
        {
          hint: 'The local cache object is corrupt: delete it and pull or add the file again.',
          data: { location: this.location },
          cause: err,
        },
      );
    }
    return remoteFailed(this.location, what, err);
  }

  async exists(key: string): Promise<boolean> {
    const url = this.objectUrl(key);
    const res = await this.request('HEAD', url, `HEAD ${key}`);
    res.resume();
    if (res.statusCode === 200) return true;
    if (res.statusCode === 403) throw await this.headRefused(url, `HEAD ${key}`, res);
    if (res.statusCode !== 404) throw await this.failure(res, `HEAD ${key}`);
    // A HEAD has no body, so a missing bucket is a bare 404 too: ask once which it is.
    this.bucketChecked ??= this.checkBucket();
    await this.bucketChecked;
    return false;
  }

  private async checkBucket(): Promise<void> {
    const res = await this.request('HEAD', this.urls.bucket, 'HEAD bucket');
    res.resume();
    if (res.statusCode === 404) throw this.bucketMissing(undefined);
    if (res.statusCode === 403) throw await this.headRefused(this.urls.bucket, 'HEAD bucket', res);
    if (res.statusCode !== 200) throw await this.failure(res, 'HEAD bucket');
  }

  /**
   * The error for a HEAD refused with 403. A HEAD answer has no body, so no error code to
   * tell refused keys from a missing permission: a GET of the same resource (one byte of an
   * object; a listing of the bucket) is refused with one.
   */
  private async headRefused(url: URL, what: string, head: IncomingMessage): Promise<Error> {
    const res = await this.request('GET', url, what, { headers: { range: 'bytes=0-0' } });
    if (res.statusCode === 403) return this.failure(res, what);
    res.resume();
    return this.failure(head, what);
  }

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
      const url = new URL(this.urls.bucket);
      const query: Array<[string, string]> = [
        ['list-type', '2'],
        ['prefix', this.prefix + prefix],
      ];
      if (token) query.push(['continuation-token', token]);
      url.search = query.map(([k, v]) => `${k}=${uriEncode(v)}`).join('&');
      const res = await this.request('GET', url, `list ${prefix}`);
      if (res.statusCode !== 200) throw await this.failure(res, `list ${prefix}`);
      const xml = await this.answerText(res, `list ${prefix}`);
      for (const m of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) {
        const rel = xmlText(m[1]!).slice(this.prefix.length);
        if (!isTempName(rel.slice(rel.lastIndexOf('/') + 1))) yield rel;
      }
      token = /<IsTruncated>true<\/IsTruncated>/.test(xml)
        ? xmlText(/<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1] ?? '')
        : undefined;
    } while (token);
  }

  async put(key: string, source: PutSource, opts: TransferOptions = {}): Promise<void> {
    const size =
      typeof source === 'string' ? (opts.size ?? (await stat(source)).size) : source.size;
    if (size >= MULTIPART_THRESHOLD) {
      try {
        await this.putInParts(key, source, size, opts);
      } catch (err) {
        if (typeof source !== 'string') source.stream.destroy();
        throw err;
      }
      return;
    }
    // A file goes up from memory when small, else through reused buffers (http.ts sendFile).
    const body: Readable | Buffer | FileBody =
      typeof source !== 'string'
        ? source.stream
        : size < SMALL
          ? await readFile(source)
          : { path: source, size };
    try {
      await this.putWhole(key, body, size);
    } catch (err) {
      if (!Buffer.isBuffer(body) && !isFileBody(body)) body.destroy();
      throw err;
    }
    opts.onBytes?.(size);
  }

  private async putWhole(
    key: string,
    body: Readable | Buffer | FileBody,
    size: number,
  ): Promise<void> {
    const headers: Record<string, string> = { 'content-length': String(size) };
    // A DVC object's name is its MD5: the server checks the bytes against it for free.
    const oid = oidFromKey(key);
    if (oid) headers['content-md5'] = Buffer.from(oid.slice(0, 32), 'hex').toString('base64');
    const what = `upload of ${key}`;
    const res = await this.request('PUT', this.objectUrl(key), what, {
      headers,
      body,
      unsigned: true,
    });
    if (res.statusCode !== 200) throw await this.failure(res, what);
    res.resume();
  }

  /** What identifies an upload of `key` in the project's upload records. */
  private uploadTarget(key: string): UploadTarget {
    return { kind: 's3', where: this.urls.bucket.href, key: this.prefix + key };
  }

  /**
   * A multipart upload. With upload records (a push from a project), the upload is recorded
   * once created, and kept when the push is interrupted or fails: the next attempt (a retry,
   * or the next push) lists its parts, keeps those whose ETag is the MD5 of the same local
   * bytes, and sends only the others. Without records, a failed or interrupted upload is
   * aborted, so that its parts are not left stored, and billed.
   */
  private async putInParts(
    key: string,
    source: PutSource,
    size: number,
    opts: TransferOptions,
  ): Promise<void> {
    await this.abortFailedUploads(key);
    const partSize = partSizeFor(size);
    const target = this.uploadTarget(key);
    const md5 = oidFromKey(key)?.slice(0, 32);
    const resumed = await this.resumable(key, target, { size, partSize, md5 });
    await this.abortStaleUploads(key, resumed?.uploadId);
    let created: string | undefined;
    let recorded = false;
    const begin = async (): Promise<string> => {
      if (resumed) return resumed.uploadId;
      const uploadId = (created = await this.createMultipart(key));
      if (this.records) {
        const record: MultipartRecord = { uploadId, partSize, size, md5 };
        await this.records.write(target, record);
        recorded = true;
      }
      return uploadId;
    };
    let started: Promise<string> | undefined;
    const work = async (): Promise<void> => {
      started = begin();
      const uploadId = await started;
      const parts = await this.sendParts(key, uploadId, source, size, partSize, opts, resumed);
      await this.completeMultipart(key, uploadId, parts);
      await this.records?.remove(target);
    };
    try {
      if (this.records) {
        // Kept for the next push; the stop waits until the record is written.
        await withKeepOnStop(() => started ?? Promise.resolve(), work, key);
      } else {
        const abort = async () => {
          const uploadId = await started?.catch(() => undefined);
          if (uploadId !== undefined) await this.abortMultipart(key, uploadId);
        };
        await withUndoOnStop(abort, work);
      }
    } catch (err) {
      // An upload that is not recorded is ours to abort, or its parts stay stored and billed.
      if (created !== undefined && !recorded) await this.abortFailed(created, key);
      // Server answers and transport failures are cmf errors already; a local read error is
      // the local file's.
      throw err;
    }
  }

  /**
   * The recorded upload of `target` that the next attempt can go on with, and its parts on
   * the server. A record the server does not know (aborted by hand, or by a lifecycle rule),
   * or of another part size or object, is dropped, and its upload aborted if it still exists.
   */
  private async resumable(
    key: string,
    target: UploadTarget,
    want: Omit<MultipartRecord, 'uploadId'>,
  ): Promise<Resumable | undefined> {
    const rec = await this.records?.read<Partial<MultipartRecord>>(target);
    if (!rec) return undefined;
    const { uploadId } = rec;
    const same = rec.size === want.size && rec.partSize === want.partSize && rec.md5 === want.md5;
    if (typeof uploadId === 'string' && same) {
      const parts = await this.listParts(key, uploadId);
      if (parts) return { uploadId, parts };
    }
    if (typeof uploadId === 'string') await this.abortMultipart(key, uploadId).catch(() => {});
    await this.records!.remove(target);
    return undefined;
  }

  /** CreateMultipartUpload: the new upload's id. */
  private async createMultipart(key: string): Promise<string> {
    const what = `upload of ${key}`;
    const url = this.objectUrl(key);
    url.search = 'uploads=';
    const res = await this.request('POST', url, what);
    if (res.statusCode !== 200) throw await this.failure(res, what);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(await this.answerText(res, what))?.[1];
    if (!uploadId) throw this.fail(unexpectedAnswer('no UploadId'), what);
    return xmlText(uploadId);
  }

  /**
   * ListParts: the parts the server holds for the upload, by number (ETag unquoted), or
   * undefined if it does not know the upload (NoSuchUpload), or will not list it.
   */
  private async listParts(
    key: string,
    uploadId: string,
  ): Promise<Map<number, ListedPart> | undefined> {
    const what = `list of the parts of an upload of ${key}`;
    const parts = new Map<number, ListedPart>();
    let marker = '';
    for (;;) {
      const url = this.objectUrl(key);
      url.search =
        `uploadId=${uriEncode(uploadId)}` + (marker ? `&part-number-marker=${marker}` : '');
      const res = await this.request('GET', url, what);
      if (res.statusCode === 404 || res.statusCode === 403) {
        res.resume();
        return undefined;
      }
      if (res.statusCode !== 200) throw await this.failure(res, what);
      const xml = await this.answerText(res, what);
      for (const [, part] of xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)) {
        const tag = (name: string) => xmlField(part!, name);
        parts.set(Number(tag('PartNumber')), {
          etag: unquote(tag('ETag')),
          size: Number(tag('Size')),
        });
      }
      const next = /<NextPartNumberMarker>(\d+)<\/NextPartNumberMarker>/.exec(xml)?.[1];
      if (!/<IsTruncated>true<\/IsTruncated>/.test(xml) || !next || next === marker) return parts;
      marker = next;
    }
  }

  /**
   * Sends the parts of an upload, a few at a time, read in order from the source; returns
   * their ETags. A part the server already holds from an earlier attempt is kept only if its
   * ETag is the MD5 of the same local bytes and its size is right: no part goes into the
   * object unchecked.
   */
  private async sendParts(
    key: string,
    uploadId: string,
    source: PutSource,
    size: number,
    partSize: number,
    opts: TransferOptions,
    resumed: Resumable | undefined,
  ): Promise<string[]> {
    const etags: string[] = [];
    const sending = new Set<Promise<void>>();
    let failure: { err: unknown } | undefined;
    let number = 0;
    for await (const bytes of readParts(source, size, partSize)) {
      if (failure) break;
      const n = ++number;
      // Only a part the server holds is hashed: a part sent now costs no hashing (about
      // 15 ms of this thread per 8 MiB), as before resumable uploads.
      const held = resumed?.parts.get(n);
      if (
        held &&
        held.size === bytes.length &&
        held.etag === createHash('md5').update(bytes).digest('hex')
      ) {
        etags[n - 1] = held.etag;
        opts.onBytes?.(bytes.length);
        opts.onResumed?.(bytes.length);
        continue;
      }
      const sent: Promise<void> = this.uploadPart(key, uploadId, n, bytes)
        .then((etag) => {
          etags[n - 1] = etag;
          opts.onBytes?.(bytes.length);
        })
        .catch((err: unknown) => void (failure ??= { err }));
      sending.add(sent);
      void sent.finally(() => sending.delete(sent));
      if (sending.size >= PARTS_IN_FLIGHT) await Promise.race(sending);
    }
    await Promise.all(sending);
    if (failure) throw failure.err;
    return etags;
  }

  /** UploadPart: the part's ETag (unquoted). */
  private async uploadPart(
    key: string,
    uploadId: string,
    n: number,
    bytes: Buffer,
  ): Promise<string> {
    const what = `upload of ${key}`;
    const url = this.objectUrl(key);
    url.search = `partNumber=${n}&uploadId=${uriEncode(uploadId)}`;
    const res = await this.request('PUT', url, what, {
      headers: { 'content-length': String(bytes.length) },
      body: bytes,
      unsigned: true,
    });
    if (res.statusCode !== 200) throw await this.failure(res, what);
    res.resume();
    const etag = res.headers.etag;
    if (typeof etag !== 'string' || !etag) throw this.fail(unexpectedAnswer('no ETag'), what);
    return unquote(etag);
  }

  /** CompleteMultipartUpload with the given parts (ETags in part order). */
  private async completeMultipart(key: string, uploadId: string, etags: string[]): Promise<void> {
    const what = `upload of ${key}`;
    const url = this.objectUrl(key);
    url.search = `uploadId=${uriEncode(uploadId)}`;
    const body = Buffer.from(
      '<CompleteMultipartUpload>' +
        etags
          .map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>"${etag}"</ETag></Part>`)
          .join('') +
        '</CompleteMultipartUpload>',
    );
    const res = await this.request('POST', url, what, {
      headers: { 'content-length': String(body.length), 'content-type': 'application/xml' },
      body,
      unsigned: true,
    });
    if (res.statusCode !== 200) throw await this.failure(res, what);
    // S3 may answer 200 and then report an error in the body (the upload did not complete).
    const xml = await this.answerText(res, what);
    const code = /<Error>[\s\S]*?<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
    if (code !== undefined) throw this.fail(unexpectedAnswer(code), what);
  }

  /**
   * Aborts the multipart uploads of `key` that earlier runs left: a push killed with SIGKILL
   * (or a machine that went down) never aborts its upload, and the parts stay stored, and
   * billed, until someone does. Only uploads started over {@link S3Settings.staleUploadMs}
   * ago by the server's clock go, so a push of the same object under way elsewhere is left
   * alone (the temp-file sweep of local directories waits as long). Best effort: an error
   * (no permission to list uploads, say) leaves them, and the upload itself goes ahead.
   * `resuming` (the recorded upload this push goes on with) is spared, however old.
   */
  private async abortStaleUploads(key: string, resuming?: string): Promise<void> {
    const full = this.prefix + key;
    const what = `list of the uploads of ${key}`;
    try {
      const url = new URL(this.urls.bucket);
      url.search = `prefix=${uriEncode(full)}&uploads=`;
      const res = await this.request('GET', url, what);
      if (res.statusCode !== 200) {
        res.resume();
        return;
      }
      const xml = await this.answerText(res, what);
      const now = Date.parse(res.headers.date ?? '') || Date.now();
      const staleMs = this.settings.staleUploadMs ?? STALE_UPLOAD_MS;
      for (const [, upload] of xml.matchAll(/<Upload>([\s\S]*?)<\/Upload>/g)) {
        const tag = (name: string) => xmlField(upload!, name);
        const initiated = Date.parse(tag('Initiated'));
        if (tag('Key') !== full || !(now - initiated > staleMs)) continue;
        if (tag('UploadId') === resuming) continue;
        await this.abortMultipart(key, tag('UploadId'));
      }
    } catch {
      // Left for a later push (see above).
    }
  }

  /** Aborts a failed upload now, or, if the server cannot be asked, notes it for later. */
  private async abortFailed(uploadId: string, key: string): Promise<void> {
    this.failedUploads.set(uploadId, key);
    await this.abortFailedUploads(key);
  }

  /** Aborts the noted failed uploads (of `key`, or all): those the server acknowledges go. */
  private async abortFailedUploads(key?: string): Promise<void> {
    const todo = [...this.failedUploads].filter(([, k]) => key === undefined || k === key);
    await Promise.all(
      todo.map(async ([uploadId, k]) => {
        try {
          await this.abortMultipart(k, uploadId);
          this.failedUploads.delete(uploadId);
        } catch {
          // Still unreachable: tried again later.
        }
      }),
    );
  }

  /** AbortMultipartUpload: the upload's stored parts are dropped (its answer is not judged). */
  private async abortMultipart(key: string, uploadId: string): Promise<void> {
    const url = this.objectUrl(key);
    url.search = `uploadId=${uriEncode(uploadId)}`;
    (await this.request('DELETE', url, `abort of an upload of ${key}`)).resume();
  }

  /**
   * A GET of the object straight into a file or a buffer (HttpTransport.getDirect); anything
   * but a 200 is `declined`, to be asked again through {@link request}, which judges it.
   */
  private async getDirect(
    key: string,
    what: string,
    into: Omit<DirectTarget, 'timeoutMs'>,
  ): Promise<DirectResult> {
    const url = this.objectUrl(key);
    if (!DirectGetPool.handles(url)) return { kind: 'declined' };
    const headers = await this.sign('GET', url, what);
    return this.http.getDirect(this.target, url, headers, {
      ...into,
      timeoutMs: this.readTimeoutMs,
    });
  }

  async get(key: string, target: GetTarget, opts: TransferOptions = {}): Promise<void> {
    const what = `download of ${key}`;
    if (typeof target === 'string' && opts.offset) {
      const res = await this.request('GET', this.objectUrl(key), what, {
        headers: rangeFrom(opts.offset),
      });
      let got;
      try {
        got = await receiveRest(res, target, opts);
      } catch (err) {
        throw this.http.transportError(this.target, what, err);
      }
      if (got === 'other') throw await this.failure(res, what, key);
      if (got === 'done') return;
      opts.onRestart?.();
      opts = { ...opts, offset: undefined };
    }
    if (typeof target === 'string') {
      const direct = await this.getDirect(key, what, { path: target, opts });
      if (direct.kind !== 'declined') return;
    }
    const res = await this.request('GET', this.objectUrl(key), what);
    if (res.statusCode !== 200) throw await this.failure(res, what, key);
    await this.receive(res, target, opts, what);
  }

  /** A 200 answer's body as text; a connection lost while reading it is a transport error. */
  private async answerText(res: IncomingMessage, what: string): Promise<string> {
    try {
      return await readText(res);
    } catch (err) {
      throw this.http.transportError(this.target, what, err);
    }
  }

  private async receive(
    res: IncomingMessage,
    target: GetTarget,
    opts: TransferOptions,
    what: string,
  ): Promise<void> {
    try {
      await receiveBody(res, target, opts);
    } catch (err) {
      throw this.http.transportError(this.target, what, err);
    }
  }

  /**
   * For a smaller object, all of it in memory, without a local temp file. With `spill`, one
   * plain GET: a larger object streams on into the spill file. Without it, a GET of the first
   * `limit` bytes only, dropped for a larger object (the caller then downloads it whole).
   */
  async read(key: string, limit: number, spill?: Spill): Promise<Buffer | undefined> {
    const what = `download of ${key}`;
    if (spill) {
      const direct = await this.getDirect(key, what, { ...spill, memoryLimit: limit });
      if (direct.kind === 'memory') return direct.bytes;
      if (direct.kind === 'file') return undefined;
    }
    const res = await this.request('GET', this.objectUrl(key), what, {
      headers: spill ? {} : { range: `bytes=0-${limit - 1}` },
    });
    // No byte 0 to send: the object exists and is empty.
    if (res.statusCode === 416) {
      res.resume();
      return Buffer.alloc(0);
    }
    if (res.statusCode !== 206 && res.statusCode !== 200) throw await this.failure(res, what, key);
    const range = /\/(\d+)$/.exec(res.headers['content-range'] ?? '')?.[1];
    const total = Number(range ?? res.headers['content-length']);
    if (!(total < limit)) {
      // With a spill file the request had no Range: the rest of the body is the object.
      if (spill) await this.receive(res, spill.path, spill.opts ?? {}, what);
      else res.destroy();
      return undefined;
    }
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    } catch (err) {
      throw this.http.transportError(this.target, what, err);
    }
  }

  async delete(key: string): Promise<void> {
    const what = `delete of ${key}`;
    const res = await this.request('DELETE', this.objectUrl(key), what);
    if (res.statusCode !== 204 && res.statusCode !== 200 && res.statusCode !== 404) {
      throw await this.failure(res, what);
    }
    res.resume();
  }

  async close(): Promise<void> {
    // A transfer that stopped on an error leaves no upload of its own behind if it can help it.
    // At most a few seconds: a server that does not answer must not hold the exit.
    if (this.failedUploads.size > 0) await waitAtMost(this.abortFailedUploads(), CLOSE_ABORT_MS);
    this.http.close();
    if (this.sdkClient) (await this.sdkClient).destroy();
    // Given to the SDK as an instance, so the SDK leaves it to us.
    this.sdkAgent?.destroy();
  }
}

/** What the upload records hold for a multipart upload. */
interface MultipartRecord {
  uploadId: string;
  partSize: number;
  /** The object's size, and MD5 when its key is one (DVC 3 keys). */
  size: number;
  md5: string | undefined;
}

/** A part the server holds (ListParts). */
interface ListedPart {
  etag: string;
  size: number;
}

/** A recorded upload that goes on, with the parts the server holds. */
interface Resumable {
  uploadId: string;
  parts: Map<number, ListedPart>;
}

/**
 * The part size for an object of `size` bytes: 8 MiB, or more (whole MiB) for an object that
 * would otherwise take more than S3's 10,000 parts.
 */
export function partSizeFor(size: number): number {
  const mib = 1 << 20;
  return Math.max(PART_SIZE, Math.ceil(size / MAX_PARTS / mib) * mib);
}

/** An error for a file or stream whose length is not the size it was announced with. */
function sizeChanged(what: string): Error {
  return Object.assign(new Error(`${what} changed size while it was sent`), { code: 'EIO' });
}

/**
 * The bytes of `source` in parts of `partSize` (the last one shorter), in order: a file is
 * read part by part, a stream is gathered into parts.
 */
async function* readParts(
  source: PutSource,
  size: number,
  partSize: number,
): AsyncGenerator<Buffer> {
  if (typeof source === 'string') {
    const fh = await open(source, 'r');
    try {
      for (let off = 0; off < size; off += partSize) {
        const part = Buffer.allocUnsafe(Math.min(partSize, size - off));
        for (let at = 0; at < part.length;) {
          const { bytesRead } = await fh.read(part, at, part.length - at, off + at);
          if (bytesRead === 0) throw sizeChanged(source);
          at += bytesRead;
        }
        yield part;
      }
    } finally {
      await fh.close();
    }
    return;
  }
  let part = Buffer.allocUnsafe(Math.min(partSize, size));
  let filled = 0;
  let total = 0;
  for await (const chunk of source.stream as AsyncIterable<Buffer>) {
    if (total + chunk.length > size) throw sizeChanged('the upload stream');
    for (let at = 0; at < chunk.length;) {
      const take = Math.min(part.length - filled, chunk.length - at);
      chunk.copy(part, filled, at, at + take);
      filled += take;
      at += take;
      total += take;
      if (filled === part.length) {
        yield part;
        part = Buffer.allocUnsafe(Math.min(partSize, size - total));
        filled = 0;
      }
    }
  }
  if (total !== size) throw sizeChanged('the upload stream');
}

/** An ETag without its quotes. */
function unquote(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}

/** An answer the S3 protocol does not allow, as an S3 error (a server failure). */
function unexpectedAnswer(code: string): S3Failure {
  return { name: code, message: `unexpected answer: ${code}`, $metadata: { httpStatusCode: 500 } };
}

/** What a request was for, in words and as the S3 permission it needs (for AccessDenied). */
function operationOf(what: string): { operation: string; permission: string } {
  const m = /^(HEAD|list|upload of|download of|delete of) (.*)$/.exec(what);
  const [verb, target] = m ? [m[1]!, m[2]!] : ['', what];
  if (what === 'HEAD bucket')
    return { operation: 'access to the bucket', permission: 's3:ListBucket' };
  switch (verb) {
    case 'HEAD':
      // Without s3:ListBucket, S3 answers a HEAD of a missing object with 403 too.
      return { operation: `reading ${target}`, permission: 's3:GetObject and s3:ListBucket' };
    case 'list':
      return { operation: `listing ${target}`, permission: 's3:ListBucket' };
    case 'upload of':
      return { operation: `writing ${target}`, permission: 's3:PutObject' };
    case 'download of':
      return { operation: `reading ${target}`, permission: 's3:GetObject' };
    case 'delete of':
      return { operation: `deleting ${target}`, permission: 's3:DeleteObject' };
    default:
      return { operation: what, permission: 'the permission' };
  }
}

/** The text of the first `<name>` element in `xml` ('' if there is none). */
function xmlField(xml: string, name: string): string {
  return xmlText(new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1] ?? '');
}

/** The text of an XML element (the five predefined entities and character references). */
function xmlText(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e[0] === '#')
      return String.fromCodePoint(Number(e[1] === 'x' ? `0${e.slice(1)}` : e.slice(1)));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e]!;
  });
}
