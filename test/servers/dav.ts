import { spawn } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { KeyObject } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ensurePackages,
  freePort,
  killOnExit,
  run,
  selfSignedCert,
  stopPid,
  waitForPort,
} from './common.js';

/**
 * nginx WebDAV on 127.0.0.1 standing in for an OSDF origin (or cache), with every request's
 * bearer token checked by a small node:http service through `auth_request`
 * (test-servers.md §5). The checker verifies the JWT with jose against the issuer's public
 * keys (by `kid`), and requires `storage.read:` to read and `storage.modify:`/`storage.create:`
 * to write, as SciTokens origins do.
 */
export interface DavServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  dataDir: string;
  /** With `tls`: the self-signed certificate (PEM), a CA bundle that trusts the server. */
  certPath?: string;
  /** Request lines nginx logged so far ("METHOD /path STATUS"). */
  accessLog(): Promise<string[]>;
  stop(): Promise<void>;
}

export interface DavOptions {
  issuer: string;
  /** Public keys by kid. */
  keys: Record<string, KeyObject>;
  /** Serve this data directory (e.g. the origin's, for a cache); default a fresh one. */
  dataDir?: string;
  /** Refuse writes (a cache). */
  readOnly?: boolean;
  /** Serve HTTPS with a fresh self-signed certificate for 127.0.0.1. */
  tls?: boolean;
  /** Ignore Range headers (`max_ranges 0`): a GET always answers 200 with the whole file. */
  ignoreRanges?: boolean;
  /** Send response bodies at most this fast (nginx `limit_rate`, e.g. `20m`: 20 MB/s). */
  limitRate?: string;
}

const READ = new Set(['GET', 'HEAD', 'PROPFIND', 'OPTIONS']);

async function startChecker(opts: DavOptions): Promise<Server> {
  const { jwtVerify } = await import('jose');
  const server = createServer((req, res) => {
    void (async () => {
      const auth = req.headers.authorization ?? '';
      const method = String(req.headers['x-original-method'] ?? 'GET');
      const m = /^Bearer\s+(.+)$/i.exec(auth);
      if (!m) return 401;
      try {
        const { payload } = await jwtVerify(
          m[1]!,
          async (header) => {
            const key = header.kid ? opts.keys[header.kid] : undefined;
            if (!key) throw new Error('unknown kid');
            return key;
          },
          { issuer: opts.issuer, algorithms: ['RS256', 'ES256'] },
        );
        const scopes = String(payload.scope ?? '').split(' ');
        const need = READ.has(method)
          ? ['storage.read:/']
          : ['storage.modify:/', 'storage.create:/'];
        return need.some((s) => scopes.includes(s)) ? 204 : 403;
      } catch {
        return 401;
      }
    })().then((status) => {
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function nginxConf(
  d: string,
  dataDir: string,
  port: number,
  authPort: number,
  readOnly: boolean,
  tls: boolean,
  ignoreRanges: boolean,
  limitRate: string | undefined,
): string {
  return `load_module /usr/lib/nginx/modules/ngx_http_dav_ext_module.so;
user www-data;
worker_processes 1;
pid ${d}/nginx.pid;
error_log ${d}/logs/error.log info;
events { worker_connections 256; }
http {
  log_format brief '$request_method $uri $status';
  access_log ${d}/logs/access.log brief;
  client_body_temp_path ${d}/tmp/body; proxy_temp_path ${d}/tmp/proxy; fastcgi_temp_path ${d}/tmp/fcgi;
  uwsgi_temp_path ${d}/tmp/uwsgi; scgi_temp_path ${d}/tmp/scgi;
  sendfile on;
  server {
    listen 127.0.0.1:${port}${tls ? ` ssl;\n    ssl_certificate ${d}/cert.pem;\n    ssl_certificate_key ${d}/key.pem` : ''};
    root ${dataDir};
    client_max_body_size 0;
    location = /_auth {
      internal;
      proxy_pass http://127.0.0.1:${authPort}/check;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Original-Method $request_method;
    }
    location / {
      auth_request /_auth;${ignoreRanges ? '\n      max_ranges 0;' : ''}${limitRate ? `\n      limit_rate ${limitRate};` : ''}
      ${readOnly ? 'limit_except GET HEAD { deny all; }' : 'dav_methods PUT DELETE MKCOL COPY MOVE;\n      dav_ext_methods PROPFIND OPTIONS;\n      create_full_put_path on;\n      dav_access user:rw group:rw all:r;'}
    }
  }
}
`;
}

export async function startDav(opts: DavOptions): Promise<DavServer> {
  ensurePackages(['nginx', 'libnginx-mod-http-dav-ext']);
  const d = await mkdtemp(join(tmpdir(), 'cmf-dav-'));
  let checker: Server | undefined;
  let pid: number | undefined;
  // Whatever got started is stopped, also when start-up fails half-way.
  const forget = killOnExit(() => pid);
  const stop = async (): Promise<void> => {
    await stopPid(pid);
    forget();
    if (checker) await new Promise<void>((resolve) => checker!.close(() => resolve()));
    await rm(d, { recursive: true, force: true });
  };
  try {
    await chmod(d, 0o755);
    checker = await startChecker(opts);
    const authPort = (checker.address() as { port: number }).port;
    const { stdout: uid } = await run('id', ['-u', 'www-data']);
    const { stdout: gid } = await run('id', ['-g', 'www-data']);
    const dataDir = opts.dataDir ?? join(d, 'data');
    for (const sub of ['logs', 'tmp']) await mkdir(join(d, sub));
    if (!opts.dataDir) await mkdir(dataDir);
    await chown(dataDir, Number(uid), Number(gid));
    await chown(join(d, 'tmp'), Number(uid), Number(gid));
    const port = await freePort();
    const conf = join(d, 'nginx.conf');
    if (opts.tls) await selfSignedCert(d);
    await writeFile(
      conf,
      nginxConf(
        d,
        dataDir,
        port,
        authPort,
        opts.readOnly ?? false,
        opts.tls ?? false,
        opts.ignoreRanges ?? false,
        opts.limitRate,
      ),
    );
    const base = ['-e', join(d, 'logs', 'error.log'), '-p', d, '-c', conf];
    await run('/usr/sbin/nginx', ['-t', '-q', ...base]);
    pid = spawn('/usr/sbin/nginx', [...base, '-g', 'daemon off;'], { stdio: 'ignore' }).pid;
    await waitForPort(port);
    return {
      url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
      port,
      dataDir,
      ...(opts.tls ? { certPath: join(d, 'cert.pem') } : {}),
      accessLog: async () =>
        (await readFile(join(d, 'logs', 'access.log'), 'utf8').catch(() => ''))
          .split('\n')
          .filter(Boolean),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
