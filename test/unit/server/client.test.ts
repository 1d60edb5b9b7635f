/** The server client against real HTTP servers on 127.0.0.1 that answer as told. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { createServer as createHttpsServer } from 'node:https';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerClient } from '../../../src/server/client.js';
import { freePort } from '../../servers/common.js';
import { tempDir } from '../../helpers/tmp.js';
import { failure } from '../../helpers/failure.js';

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  contentType?: string;
  body: string;
}

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A server answering request i with answers[i] (the last one repeats); never answers for 'hang'. */
async function answering(
  answers: ({ status: number; body: string; headers?: Record<string, string> } | 'hang')[],
): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer(async (req: IncomingMessage, res) => {
    let body = '';
    for await (const c of req) body += c;
    seen.push({
      method: req.method!,
      url: req.url!,
      authorization: req.headers.authorization,
      contentType: req.headers['content-type'],
      body,
    });
    const a = answers[Math.min(seen.length - 1, answers.length - 1)]!;
    if (a === 'hang') return;
    res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(a.body);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/`, seen };
}

describe('ServerClient', () => {
  it('posts the cmf body to <url>/api/mlmd_push (no // from a trailing slash) with the bearer token', async () => {
    const { url, seen } = await answering([{ status: 200, body: '{"status": "success"}' }]);
    const client = new ServerClient({ url, token: 'tok' });
    const r = await client.pushMetadata({ pipelineName: 'P', payload: '{"Pipeline": []}' });
    expect(r.status).toBe('success');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/api/mlmd_push',
      authorization: 'Bearer tok',
    });
    expect(JSON.parse(seen[0]!.body)).toEqual({
      exec_uuid: null,
      json_payload: '{"Pipeline": []}',
      pipeline_name: 'P',
    });
  });

  it('sends user:password from the URL as Basic auth (the bearer token wins) and never shows the password', async () => {
    const { url, seen } = await answering([{ status: 500, body: '{"detail": "boom"}' }]);
    const withPassword = url.replace('http://', 'http://al%40ce:p%3Aw@');
    const client = new ServerClient({ url: withPassword, retries: 0 });
    expect(client.baseUrl).toBe(url.replace('http://', 'http://al%40ce:****@').replace(/\/$/, ''));
    const err = await failure(client.pushMetadata({ pipelineName: 'P', payload: '{}' }));
    expect(seen[0]!.authorization).toBe(`Basic ${Buffer.from('al@ce:p:w').toString('base64')}`);
    expect(err.code).toBe('SERVER_ERROR');
    expect(JSON.stringify({ m: err.message, h: err.hint, d: err.data })).not.toContain('p%3Aw');
    expect(err.data?.url).toContain('al%40ce:****@127.0.0.1');
    await failure(new ServerClient({ url: withPassword, token: 'tok', retries: 0 }).pipelines());
    expect(seen[1]!.authorization).toBe('Bearer tok');
  });

  it('uploads a file as multipart part "file", its name escaped, again in full on a retry', async () => {
    const { url, seen } = await answering([
      { status: 503, body: '' },
      { status: 200, body: '{"ok": true}' },
    ]);
    const file = join(await tempDir(), 'labels.csv');
    writeFileSync(file, 'a,b\n1,2\n');
    const client = new ServerClient({ url, backoffMs: 5 });
    const r = await client.upload('tensorboard', file, 'run "1".csv', { pipeline_name: 'P' });
    expect(r).toEqual({ ok: true });
    expect(seen).toHaveLength(2);
    for (const s of seen) {
      expect(s.url).toBe('/api/tensorboard?pipeline_name=P');
      const boundary = /^multipart\/form-data; boundary=(\S+)$/.exec(s.contentType ?? '')?.[1];
      expect(boundary).toBeDefined();
      expect(s.body).toBe(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="run %221%22.csv"\r\n` +
          `Content-Type: application/octet-stream\r\n\r\na,b\n1,2\n\r\n--${boundary}--\r\n`,
      );
    }
  });

  it('sends a payload made piece by piece as the same JSON body, made anew for a retry', async () => {
    const { url, seen } = await answering([
      { status: 503, body: '' },
      { status: 200, body: '{"status": "success"}' },
    ]);
    const pieces = ['{"Pipeline": [{"name": "na\\u00efve \\"q\\""', ', "x": 3000.0}', ']}'];
    let made = 0;
    const r = await new ServerClient({ url, backoffMs: 5 }).pushMetadata({
      pipelineName: 'P "1"',
      executionUuid: 'u-1',
      payload: async function* () {
        made++;
        for (const piece of pieces) {
          await new Promise((r) => setImmediate(r));
          yield piece;
        }
      },
    });
    expect(r.status).toBe('success');
    expect(made).toBe(2);
    expect(seen).toHaveLength(2);
    const whole = JSON.stringify({
      exec_uuid: 'u-1',
      json_payload: pieces.join(''),
      pipeline_name: 'P "1"',
    });
    for (const s of seen) expect(s.body).toBe(whole);
  });

  it('a payload that cannot be made fails with its own error, not as the network, and is not retried', async () => {
    const { url, seen } = await answering([{ status: 200, body: '{"status": "success"}' }]);
    const cause = Object.assign(new Error('database disk image is malformed'), {
      code: 'ECONNRESET',
    });
    const err = await new ServerClient({ url, backoffMs: 5 })
      .pushMetadata({
        pipelineName: 'P',
        payload: async function* () {
          yield '{"Pipeline": [';
          throw cause;
        },
      })
      .catch((e: unknown) => e);
    expect(err).toBe(cause);
    expect(seen.length).toBeLessThanOrEqual(1);
  });

  it('retries 5xx and 429 with backoff, then succeeds', async () => {
    const { url, seen } = await answering([
      { status: 503, body: '{"detail": "busy"}' },
      { status: 429, body: '', headers: { 'retry-after': '0' } },
      { status: 200, body: '{"status": "exists"}' },
    ]);
    const r = await new ServerClient({ url, backoffMs: 10 }).pushMetadata({
      pipelineName: 'P',
      payload: '{}',
    });
    expect(r.status).toBe('exists');
    expect(seen).toHaveLength(3);
  });

  it('gives up after the retries with SERVER_ERROR (exit 1)', async () => {
    const { url, seen } = await answering([
      { status: 500, body: '{"detail": "Internal server error"}' },
    ]);
    const err = await failure(new ServerClient({ url, backoffMs: 5, retries: 2 }).pipelines());
    expect(err.code).toBe('SERVER_ERROR');
    expect(err.exitCode).toBe(1);
    expect(err.message).toMatch(/HTTP 500: Internal server error/);
    expect(seen).toHaveLength(3);
  });

  it('the 5xx hint claims retries only when there were some', async () => {
    const { url } = await answering([{ status: 500, body: 'oops' }]);
    const once = await failure(new ServerClient({ url, retries: 0 }).pipelines());
    expect(once.code).toBe('SERVER_ERROR');
    expect(once.hint).toBe('The server failed while handling the request; its log has the reason.');
    const thrice = await failure(new ServerClient({ url, retries: 2, backoffMs: 5 }).pipelines());
    expect(thrice.hint).toBe(
      'The server failed while handling the request (3 attempts, with backoff); its log has the reason.',
    );
  });

  it('a 502-504 hint points at the gateway in front of the server', async () => {
    const { url } = await answering([{ status: 502, body: '<html>Bad Gateway</html>' }]);
    const err = await failure(new ServerClient({ url, retries: 0 }).pipelines());
    expect(err.code).toBe('SERVER_ERROR');
    expect(err.hint).toMatch(
      /^HTTP 502 usually comes from a gateway or proxy in front of the server/,
    );
  });

  it('an answer cut mid-body is not an unreachable server', async () => {
    // Headers and half the promised body, then the connection is reset.
    server = createNetServer((socket) => {
      socket.once('data', () => {
        socket.write(
          'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"a":',
        );
        setTimeout(() => socket.resetAndDestroy(), 50);
      });
    }) as unknown as Server;
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const err = await failure(
      new ServerClient({ url: `http://127.0.0.1:${port}/`, retries: 0 }).pullMetadata({
        pipelineName: 'P',
      }),
    );
    expect([err.code, err.exitCode]).toEqual(['SERVER_ANSWER_CUT', 1]);
    expect(err.message).toMatch(
      /answered \(HTTP 200\) but the connection was cut before the end of its answer \(ECONNRESET\)/,
    );
    expect(err.hint).toMatch(/stopped mid-answer/);
  });

  it('does not retry other 4xx; maps each to its own error', async () => {
    const cases: [number, string, string, number][] = [
      [400, '{"detail": "json_payload is not valid JSON"}', 'SERVER_REJECTED', 1],
      [401, '{"detail": "Missing or invalid bearer token"}', 'SERVER_UNAUTHORIZED', 4],
      [404, '{"detail": "Pipeline P not found."}', 'SERVER_NOT_FOUND', 3],
      [413, '{"detail": "Request body is too large"}', 'SERVER_PAYLOAD_TOO_LARGE', 1],
      [422, '{"detail": "version_update"}', 'SERVER_VERSION_UPDATE', 1],
      [418, 'teapot', 'SERVER_UNEXPECTED_STATUS', 1],
    ];
    for (const [status, body, code, exitCode] of cases) {
      const { url, seen } = await answering([{ status, body }]);
      const err = await failure(
        new ServerClient({ url, backoffMs: 5 }).pullMetadata({ pipelineName: 'P' }),
      );
      expect([err.code, err.exitCode, seen.length]).toEqual([code, exitCode, 1]);
      expect(err.hint).toBeTruthy();
      await new Promise<void>((r) => server!.close(() => r()));
      server = undefined;
    }
  });

  it('a 401 says whether a token was sent and where it was set', async () => {
    const refused = { status: 401, body: '{"detail": "Missing or invalid bearer token"}' };
    const hintOf = async (opts: { token?: string; tokenSource?: string; basic?: boolean }) => {
      const { url } = await answering([refused]);
      const base = opts.basic ? url.replace('http://', 'http://me:pw@') : url;
      const err = await failure(new ServerClient({ url: base, ...opts }).pipelines());
      await new Promise<void>((r) => server!.close(() => r()));
      server = undefined;
      return err.hint;
    };
    expect(await hintOf({})).toMatch(
      /^The request carried no token\. Set the server's: CMF_SERVER_TOKEN=/,
    );
    expect(await hintOf({ token: 'wrong', tokenSource: 'CMF_SERVER_TOKEN' })).toMatch(
      /^The server refused the token from CMF_SERVER_TOKEN: use the token it was started with/,
    );
    expect(await hintOf({ token: 'stale', tokenSource: '.dvc/config.local' })).toMatch(
      /refused the token from \.dvc\/config\.local/,
    );
    expect(await hintOf({ basic: true })).toMatch(
      /refused the user and password in cmf-server-url/,
    );
  });

  it('a 404 for the route itself (a URL ending in /api) is not a missing pipeline: it names the URL and the base URL to use', async () => {
    const unknownRoute = [
      '{"detail": "Not Found"}', // Python cmf-server (Starlette)
      '{"detail": "No route POST /api/api/mlmd_pull"}', // ours
      '{"message": "Route POST:/api/api/mlmd_pull not found", "error": "Not Found", "statusCode": 404}',
      '<html><body><h1>404 Not Found</h1></body></html>', // nginx
    ];
    for (const body of unknownRoute) {
      const { url } = await answering([{ status: 404, body }]);
      const base = `${url}api`;
      for (const call of [
        (c: ServerClient) => c.pullMetadata({ pipelineName: 'P' }),
        (c: ServerClient) => c.pushMetadata({ pipelineName: 'P', payload: '{}' }),
      ]) {
        const err = await failure(call(new ServerClient({ url: base, retries: 0 })));
        expect([err.code, err.exitCode]).toEqual(['SERVER_ROUTE_NOT_FOUND', 4]);
        expect(err.message).toMatch(
          new RegExp(
            `${base}/api/mlmd_pu(ll|sh) does not exist \\(HTTP 404\\): ${base} does not look like a cmf server`,
          ),
        );
        expect(err.message).not.toMatch(/not found/i);
        expect(err.hint).toContain(`without /api: try ${url.replace(/\/$/, '')}`);
      }
      await new Promise<void>((r) => server!.close(() => r()));
      server = undefined;
    }
    // A cmf server's own 404 names what it did not find: still a missing pipeline.
    const { url } = await answering([{ status: 404, body: '{"detail": "Pipeline P not found."}' }]);
    const err = await failure(
      new ServerClient({ url, retries: 0 }).pullMetadata({ pipelineName: 'P' }),
    );
    expect([err.code, err.exitCode]).toEqual(['SERVER_NOT_FOUND', 3]);
  });

  it('a redirect is not followed: SERVER_REDIRECT (exit 4) names the Location and the base URL to set', async () => {
    for (const status of [301, 302, 307, 308]) {
      const { url, seen } = await answering([
        {
          status,
          body: '',
          headers: { location: 'https://u:pw-s3cret@cmf.example/team/api/mlmd_push' },
        },
      ]);
      const err = await failure(
        new ServerClient({ url, token: 'tok', retries: 2 }).pushMetadata({
          pipelineName: 'P',
          payload: '{}',
        }),
      );
      expect([err.code, err.exitCode, seen.length]).toEqual(['SERVER_REDIRECT', 4, 1]);
      expect(err.message).toBe(
        `metadata push: ${url}api/mlmd_push redirects (HTTP ${status}) to https://u:****@cmf.example/team/api/mlmd_push`,
      );
      expect(err.hint).toMatch(/^Set cmf-server-url to https:\/\/cmf\.example\/team \(/);
      await new Promise<void>((r) => server!.close(() => r()));
      server = undefined;
    }
    // A relative Location elsewhere (a login page): no base URL to suggest.
    const { url } = await answering([{ status: 302, body: '', headers: { location: '/login' } }]);
    const err = await failure(new ServerClient({ url, retries: 0 }).pipelines());
    expect(err.message).toContain(`redirects (HTTP 302) to ${url}login`);
    expect(err.hint).toMatch(/^cmf does not follow redirects: set cmf-server-url/);
  });

  it('a 2xx answer that is not the JSON a cmf server sends is SERVER_BAD_ANSWER naming the URL', async () => {
    const cases: [string, (c: ServerClient) => Promise<unknown>, string, RegExp][] = [
      [
        '<html>hi</html>',
        (c) => c.pushMetadata({ pipelineName: 'P', payload: '{}' }),
        '/api/mlmd_push',
        /^metadata push: the server's answer is not JSON \(it starts: "<html>hi<\/html>"\)$/,
      ],
      [
        '"fine"',
        (c) => c.pushMetadata({ pipelineName: 'P', payload: '{}' }),
        '/api/mlmd_push',
        /not a JSON object with a "status"/,
      ],
      [
        '<html>login</html>',
        (c) => c.pipelines(),
        '/api/pipelines',
        /^pipeline listing: the server's answer is not JSON/,
      ],
      ['{"a": 1}', (c) => c.pipelines(), '/api/pipelines', /not a JSON list of names/],
    ];
    for (const [body, call, route, message] of cases) {
      const { url } = await answering([{ status: 200, body }]);
      const err = await failure(call(new ServerClient({ url, retries: 0 })));
      expect([err.code, err.exitCode]).toEqual(['SERVER_BAD_ANSWER', 1]);
      expect(err.message).toMatch(message);
      expect(err.hint).toContain(`Check that ${url.replace(/\/$/, '')}${route} is a cmf server`);
      await new Promise<void>((r) => server!.close(() => r()));
      server = undefined;
    }
  });

  it('a refused connection is SERVER_UNREACHABLE naming the URL', async () => {
    const port = await freePort();
    const err = await failure(
      new ServerClient({ url: `http://127.0.0.1:${port}`, retries: 1, backoffMs: 5 }).pipelines(),
    );
    expect(err.code).toBe('SERVER_UNREACHABLE');
    expect(err.message).toContain(`http://127.0.0.1:${port}/api/pipelines (ECONNREFUSED)`);
  });

  it('a timeout is SERVER_TIMEOUT and is not retried (the server may still be merging)', async () => {
    const { url, seen } = await answering(['hang']);
    const err = await failure(
      new ServerClient({ url, timeoutMs: 300, backoffMs: 5 }).pushMetadata({
        pipelineName: 'P',
        payload: '{}',
      }),
    );
    expect(err.code).toBe('SERVER_TIMEOUT');
    expect(err.hint).toMatch(/CMF_SERVER_TIMEOUT/);
    expect(seen).toHaveLength(1);
  });

  it('https:// to a plain http server is SERVER_TLS (exit 4) saying to use http://, not "is the server running?"', async () => {
    const { url, seen } = await answering([{ status: 200, body: '{"status": "success"}' }]);
    const https = url.replace('http://', 'https://').replace(/\/$/, '');
    const err = await failure(
      new ServerClient({ url: https, retries: 2, backoffMs: 5 }).pushMetadata({
        pipelineName: 'P',
        payload: '{}',
      }),
    );
    expect([err.code, err.exitCode]).toEqual(['SERVER_TLS', 4]);
    expect(err.message).toBe(
      `metadata push: ${https} does not answer in TLS (wrong version number): it looks like a plain http:// server`,
    );
    expect(err.hint).toContain(`Set cmf-server-url to ${https.replace('https:', 'http:')}`);
    expect(err.hint).not.toMatch(/running/);
    expect(seen).toHaveLength(0);
  });

  it('speaks HTTPS, verifying the certificate against the trusted CAs', async () => {
    const dir = await tempDir();
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
        ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1'],
        ...['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const tlsServer = createHttpsServer(
      { key: readFileSync(join(dir, 'key.pem')), cert },
      (req, res) => {
        req.resume();
        req.on('end', () => res.end('{"status": "success"}'));
      },
    );
    await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(tlsServer.address() as { port: number }).port}`;
    const defaults = getCACertificates('default');
    try {
      const push = () =>
        new ServerClient({ url, retries: 0 }).pushMetadata({ pipelineName: 'P', payload: '{}' });
      const refused = await failure(push());
      expect(refused.code).toBe('SERVER_UNREACHABLE');
      expect(refused.message).toMatch(/SELF_SIGNED/);
      setDefaultCACertificates([...defaults, cert]);
      expect((await push()).status).toBe('success');
    } finally {
      setDefaultCACertificates(defaults);
      await new Promise<void>((r) => tlsServer.close(() => r()));
    }
  });
});
