import { Flags } from '@oclif/core';
import { CmfCommand } from '../../cli/base-command.js';
import { integerFlag } from '../../cli/flags.js';
import { ExitCode } from '../../errors/index.js';
import { parseByteSize, startServer } from '../../server/start.js';
import { collectTokens } from '../../server/tokens.js';

export default class ServerStart extends CmfCommand<undefined> {
  static override summary = 'Run the cmf metadata server (the cmf-server HTTP API).';
  static override description =
    'Serves /api/mlmd_push, /api/mlmd_pull and the other cmf-server routes until SIGTERM or ' +
    'SIGINT, then finishes the requests in flight, closes the store and exits 0. Prints the URL ' +
    'it listens on ({url} with --json); logs one line per request on stderr. Metadata goes to ' +
    'an MLMD SQLite file in --data-dir unless --database names another file or a postgres:// URL.';
  static override examples = [
    '<%= config.bin %> server start --port 8080 --data-dir /srv/cmf',
    'CMF_SERVER_TOKEN=s3cret <%= config.bin %> server start --host 0.0.0.0',
    '<%= config.bin %> server start --database postgres://cmf:pw@db:5432/mlmd --token t1 --token t2',
  ];
  static override flags = {
    port: integerFlag({
      summary: 'TCP port (0: any free port).',
      default: 8080,
      min: 0,
      max: 65535,
    }),
    host: Flags.string({ summary: 'Address to listen on.', default: '127.0.0.1' }),
    database: Flags.string({
      summary: 'MLMD SQLite file (relative to --data-dir) or postgres://user:pw@host:port/db.',
      env: 'CMF_SERVER_DATABASE',
    }),
    'data-dir': Flags.string({
      summary: 'Directory for the SQLite store and uploaded env, label and tensorboard files.',
      default: 'cmf-server-data',
    }),
    token: Flags.string({
      summary:
        'Bearer token clients must send (repeatable; also CMF_SERVER_TOKEN, comma-separated).',
      multiple: true,
    }),
    'body-limit': Flags.string({
      summary: 'Largest request body, after gzip decompression (e.g. 64M, 1G).',
      default: '256M',
    }),
  };

  async run(): Promise<undefined> {
    const { flags } = await this.parse(ServerStart);
    const server = await startServer({
      host: flags.host,
      port: flags.port,
      database: flags.database,
      dataDir: flags['data-dir'],
      tokens: collectTokens(flags.token, process.env.CMF_SERVER_TOKEN),
      bodyLimit: parseByteSize(flags['body-limit']),
      logger: (line) => process.stderr.write(line + '\n'),
    });
    const authentication = server.authenticated ? 'bearer-token' : 'none';
    if (this.jsonEnabled()) {
      this.logJson({ url: server.url, store: server.storeLocation, authentication });
    } else {
      this.log(server.url);
      this.logToStderr(
        server.authenticated
          ? 'Authentication: on (clients must send one of the bearer tokens)'
          : `Warning: authentication is off: anyone who can reach ${server.url} can read and change its metadata (give --token or CMF_SERVER_TOKEN to require a bearer token)`,
      );
    }
    // Stopping means finishing requests in flight, not removing temp files and exiting. A
    // signal before this point stops the start at once (exit 130/143: nothing to finish).
    await new Promise<void>((resolve) => {
      let stopping = false;
      this.handleSignalsItself((signal) => {
        // A second signal does not wait for the requests in flight.
        if (stopping)
          process.exit(signal === 'SIGINT' ? ExitCode.interrupted : ExitCode.terminated);
        stopping = true;
        process.stderr.write(`${signal}: finishing requests in flight, then stopping\n`);
        server.close().then(resolve, (err) => {
          process.stderr.write(`Error while stopping: ${(err as Error).message}\n`);
          process.exitCode = 1;
          resolve();
        });
      });
    });
    return undefined;
  }
}
