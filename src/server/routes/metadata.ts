/**
 * POST /api/mlmd_push and POST /api/mlmd_pull: the JSON exchange document (§6) in and out,
 * answered as Python's cmf-server answers so that its clients work unchanged.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { parseExactJson } from '../../cmf/exact-json.js';
import { exportAllText, exportText, type ExportText } from '../../cmf/export-json.js';
import { mergeDocument } from '../../cmf/merge.js';
import type { PyJson } from '../../cmf/python-json.js';
import { NotFoundError } from '../../errors/index.js';
import type { ServerContext } from '../app.js';
import { pushBodyParser, pushSpools } from './push-body.js';

interface PushBody {
  exec_uuid?: string | null;
  json_payload: string;
  pipeline_name: string;
}

interface PullBody {
  pipeline_name?: string | null;
  exec_uuid?: string | null;
  last_sync_time?: number | null;
}

const pushSchema = {
  body: {
    type: 'object',
    required: ['json_payload', 'pipeline_name'],
    properties: {
      exec_uuid: { type: ['string', 'null'] },
      json_payload: { type: 'string' },
      pipeline_name: { type: 'string', minLength: 1, pattern: '\\S' },
    },
  },
} as const;

const pullSchema = {
  body: {
    type: 'object',
    properties: {
      pipeline_name: { type: ['string', 'null'] },
      exec_uuid: { type: ['string', 'null'] },
      last_sync_time: { type: ['integer', 'null'] },
    },
  },
} as const;

/**
 * The pushed document's top level (`parse`: of the text, or of a spooled document); 400
 * when it is not JSON or not an object.
 */
function checkPayload(parse: () => PyJson): void {
  let doc: PyJson;
  try {
    doc = parse();
  } catch (err) {
    throw Object.assign(new Error(`json_payload is not valid JSON: ${(err as Error).message}`), {
      statusCode: 400,
    });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw Object.assign(new Error('json_payload must be a JSON object {"Pipeline": [...]}'), {
      statusCode: 400,
    });
  }
}

export function metadataRoutes(app: FastifyInstance, ctx: ServerContext): void {
  // The push route has its own JSON body parser (push-body.ts): the document in its
  // json_payload is spooled as it arrives, never whole in memory.
  void app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser(
      'application/json',
      pushBodyParser(scope, ctx.bodyLimit, ctx.dataDir),
    );
    // A body that fails the schema never reaches the handler.
    scope.addHook('onResponse', async (req) => pushSpools.get(req)?.close());
    scope.post<{ Body: PushBody }>('/api/mlmd_push', { schema: pushSchema }, async (req, reply) => {
      const spool = pushSpools.get(req);
      try {
        const pipelineName = req.body.pipeline_name;
        const executionUuid = req.body.exec_uuid || undefined;
        const text = req.body.json_payload;
        let document: unknown;
        if (spool) {
          checkPayload(() => spool.top());
          document = spool;
        } else {
          checkPayload(() => (document = parseExactJson(text)));
        }
        const result = await ctx.pipelineLocks.run(pipelineName, () =>
          mergeDocument(ctx.store, document, { pipelineName, executionUuid, mode: 'push' }),
        );
        switch (result.status) {
          case 'version_update':
            // Python's server: HTTPException(422, detail="version_update").
            return reply.code(422).send({ detail: 'version_update' });
          case 'invalid_json_payload':
            return reply
              .code(400)
              .send({ detail: 'invalid_json_payload: the payload holds no "Pipeline" entries' });
          default:
            return reply.send(result);
        }
      } finally {
        spool?.close();
      }
    });
  });

  app.post<{ Body: PullBody | null }>(
    '/api/mlmd_pull',
    { schema: pullSchema },
    async (req, reply) => {
      const pipelineName = req.body?.pipeline_name || undefined;
      const executionUuid = req.body?.exec_uuid || undefined;
      // No pipeline name: every pipeline (server-to-server sync), only what changed after
      // `last_sync_time` when given (0 too means everything: Python's server answers 406
      // there). With a name, Python ignores last_sync_time, and so do we.
      // No lock: stores only grow, and the export reads are safe against a merge committing
      // in between (export-json.ts).
      const updatedAfter = req.body?.last_sync_time ?? undefined;
      let out: ExportText;
      try {
        out =
          pipelineName === undefined
            ? await exportAllText(ctx.store, { executionUuid, updatedAfter })
            : await exportText(ctx.store, pipelineName, { executionUuid });
      } catch (err) {
        if (err instanceof NotFoundError && err.code === 'PIPELINE_NOT_FOUND') {
          return reply.code(404).send({ detail: `Pipeline ${pipelineName} not found.` });
        }
        throw err;
      }
      reply.type('application/json; charset=utf-8');
      if (executionUuid === undefined) {
        // Sent as it is read (chunked), at the pace the client takes it: a large pipeline is
        // never whole in the server's memory. A read failing part-way cuts the answer short.
        return reply.send(Readable.from(out.chunks));
      }
      // Whether the uuid matched is known only at the end; what it matched is small.
      const chunks: string[] = [];
      for await (const chunk of out.chunks) chunks.push(chunk);
      if (out.summary.executions === 0) {
        return reply.type('text/plain; charset=utf-8').send('no_exec_uuid');
      }
      return reply.send(chunks.join(''));
    },
  );
}
