/**
 * The body of POST /api/mlmd_push read as it arrives: `{"exec_uuid": ..., "json_payload":
 * "<the document, JSON-encoded>", "pipeline_name": ...}`. The `json_payload` string is
 * decoded piece by piece into a DocumentSpool (the document goes to a temporary file as it
 * comes); the rest of the body, small, is parsed by fastify's own JSON parser with that
 * string standing as `""`, so the schema and the answers to a bad body are fastify's. A
 * large push is thus never whole in the server's memory, neither as text nor parsed.
 */
import type { Readable } from 'node:stream';
import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';
import { DocumentSpool } from '../../cmf/document-spool.js';
import { JsonStringDecoder } from '../../cmf/json-string-decoder.js';

const KEY = 'json_payload';
const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** The spooled `json_payload` of a request whose body had one as a string. */
export const pushSpools = new WeakMap<FastifyRequest, DocumentSpool>();

type Parse = (
  req: FastifyRequest,
  body: string,
  done: (err: Error | null, body?: unknown) => void,
) => void;

/** Reads the outer object, sending its top-level `json_payload` string into a spool. */
class PushBodyScan {
  /** Where spools put their temporary files. */
  private readonly dir: string;
  /** The body without the contents of the `json_payload` string. */
  readonly rest: Buffer[] = [];
  spool: DocumentSpool | undefined;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private expectKey = false;
  private key: number[] | undefined;
  private lastKey: string | undefined;
  /** After `"json_payload":`, until its value begins. */
  private awaiting = false;
  private decoder: JsonStringDecoder | undefined;
  invalid = false;

  constructor(dir: string) {
    this.dir = dir;
  }

  write(chunk: Buffer): void {
    let from = 0;
    let i = 0;
    if (this.decoder) {
      from = this.decode(chunk, 0);
      i = from + 1; // past the closing quote
    }
    for (; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === 0x5c) this.escaped = true;
        else if (b === 0x22) {
          this.inString = false;
          if (this.key) {
            const raw = Buffer.from(this.key).toString('utf8');
            this.lastKey = raw === KEY ? KEY : undefined;
            this.key = undefined;
          }
          continue;
        }
        if (this.key) {
          if (this.key.length <= KEY.length) this.key.push(b);
          else this.key = undefined;
        }
        continue;
      }
      if (WS.has(b)) continue;
      const keyPlace = this.depth === 1 && this.expectKey;
      const payload = this.awaiting && this.depth === 1;
      this.awaiting = false;
      if (b === 0x22) {
        this.inString = true;
        if (keyPlace) this.key = [];
        else if (payload) {
          // The opening quote stays in `rest`, the contents go to the spool.
          this.rest.push(Buffer.from(chunk.subarray(from, i + 1)));
          this.inString = false;
          this.spool?.close();
          this.spool = new DocumentSpool(this.dir);
          this.decoder = new JsonStringDecoder();
          // Scanning goes on after the closing quote.
          from = this.decode(chunk, i + 1);
          i = from;
        }
      } else if (b === 0x3a) {
        if (this.depth === 1) {
          this.expectKey = false;
          this.awaiting = this.lastKey === KEY;
        }
      } else if (b === 0x2c) {
        if (this.depth === 1) this.expectKey = true;
      } else if (b === 0x7b || b === 0x5b) {
        this.depth++;
        if (this.depth === 1) this.expectKey = b === 0x7b;
      } else if (b === 0x7d || b === 0x5d) {
        this.depth--;
      }
    }
    if (from < chunk.length) this.rest.push(Buffer.from(chunk.subarray(from)));
  }

  end(): void {
    if (this.decoder) {
      this.spool!.write(this.decoder.finish());
      this.invalid = true;
    }
    this.spool?.end();
  }

  /**
   * Feeds the decoder from `start`; returns where `rest` resumes: at the closing quote
   * (which stays in it), or the chunk's end while the string goes on.
   */
  private decode(chunk: Buffer, start: number): number {
    const decoder = this.decoder!;
    const { out, end } = decoder.write(chunk, start);
    this.spool!.write(out);
    if (decoder.invalid) this.invalid = true;
    if (end < 0) return chunk.length;
    this.decoder = undefined;
    this.spool!.end();
    return end - 1;
  }
}

/**
 * The content type parser of the push route: checks the body limit as fastify does, scans
 * the body as it comes, then has fastify's default JSON parser read the rest. The document
 * is spooled in `dir` (the server's data directory: on disk, where the store is).
 */
export function pushBodyParser(app: FastifyInstance, bodyLimit: number, dir: string) {
  const parseJson = app.getDefaultJsonParser('error', 'error') as unknown as Parse;
  return (req: FastifyRequest, payload: Readable): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const contentLength = Number(req.headers['content-length']);
      if (contentLength > bodyLimit) return reject(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      const scan = new PushBodyScan(dir);
      let received = 0;
      let settled = false;
      const fail = (err: Error): void => {
        settled = true;
        payload.removeListener('data', onData);
        payload.removeListener('end', onEnd);
        payload.removeListener('error', onError);
        scan.spool?.close();
        reject(err);
      };
      const onData = (chunk: Buffer | string): void => {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        received += buf.length;
        const encoded = (payload as { receivedEncodedLength?: number }).receivedEncodedLength ?? 0;
        if (received > bodyLimit || encoded > bodyLimit) {
          return fail(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
        }
        try {
          scan.write(buf);
        } catch (err) {
          fail(err as Error);
        }
      };
      const onError = (err: Error & { statusCode?: number }): void => {
        if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400;
        fail(err);
      };
      const onEnd = (): void => {
        payload.removeListener('data', onData);
        payload.removeListener('error', onError);
        const encoded = (payload as { receivedEncodedLength?: number }).receivedEncodedLength;
        if (!Number.isNaN(contentLength) && (encoded || received) !== contentLength) {
          return fail(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
        }
        scan.end();
        if (scan.invalid) return fail(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY());
        parseJson(req, Buffer.concat(scan.rest).toString('utf8'), (err, body) => {
          if (err) return fail(err);
          settled = true;
          if (scan.spool) pushSpools.set(req, scan.spool);
          resolve(body);
        });
      };
      payload.on('data', onData);
      payload.on('end', onEnd);
      payload.on('error', onError);
      // A body that stops without an end or an error (the client went away): its file goes.
      payload.once('close', () => settled || fail(new Error('The request body was cut short')));
      payload.resume();
    });
}
