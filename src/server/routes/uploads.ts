/**
 * Files that come with a push (spec/cmf-reference.md §3.8 step 7, §9.1): Python
 * environment files, label files (named by their md5) and tensorboard logs, stored under
 * the data directory as Python's server stores them (`env/`, `labels/`,
 * `tensorboard-logs/<pipeline>/`, nested for `team/project`), each written to a temp file and renamed into place.
 */
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { replaceAtomically } from '../../fs/atomic.js';
import type { ServerContext } from '../app.js';
import { safeBaseName, safePipelineSegments, safeSegments } from '../upload-names.js';

export const ENV_DIR = 'env';
export const LABELS_DIR = 'labels';
export const TENSORBOARD_DIR = 'tensorboard-logs';

function httpError(status: number, message: string): Error {
  return Object.assign(new Error(message), { statusCode: status });
}

/** The one multipart part named `file`. */
async function uploadedFile(req: FastifyRequest): Promise<MultipartFile> {
  if (!req.isMultipart())
    throw httpError(400, 'Expected a multipart/form-data body with a "file" part');
  const file = await req.file();
  if (!file || file.fieldname !== 'file')
    throw httpError(400, 'The multipart body has no "file" part');
  return file;
}

/** Streams the part into `target` (temp file, then rename); 413 when it exceeds the limit. */
async function save(file: MultipartFile, target: string): Promise<void> {
  await replaceAtomically(target, async (tmp) => {
    await pipeline(file.file, createWriteStream(tmp));
    if (file.file.truncated) throw httpError(413, 'The uploaded file exceeds the body limit');
  });
}

async function sendTextFile(
  reply: FastifyReply,
  path: string,
  name: string,
): Promise<FastifyReply> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) throw httpError(404, `File ${name} not found`);
  return reply.type('text/plain; charset=utf-8').send(createReadStream(path));
}

const fileNameQuery = {
  querystring: {
    type: 'object',
    required: ['file_name'],
    properties: { file_name: { type: 'string', minLength: 1 } },
  },
} as const;

export function uploadRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post('/api/python-env', async (req) => {
    const file = await uploadedFile(req);
    const name = safeBaseName(file.filename);
    await save(file, join(ctx.dataDir, ENV_DIR, name));
    return { message: `${name} uploaded successfully` };
  });

  app.get<{ Querystring: { file_name: string } }>(
    '/api/python-env',
    { schema: fileNameQuery },
    async (req, reply) => {
      const name = safeBaseName(req.query.file_name);
      if (!['.txt', '.yaml', '.yml'].includes(extname(name).toLowerCase())) {
        throw httpError(400, 'Only .txt and .yaml environment files can be read');
      }
      return sendTextFile(reply, join(ctx.dataDir, ENV_DIR, name), name);
    },
  );

  app.post('/api/label', async (req) => {
    const file = await uploadedFile(req);
    const name = safeBaseName(file.filename);
    const target = join(ctx.dataDir, LABELS_DIR, name);
    // Labels are named by their md5: a file that is there already has this content.
    if (existsSync(target)) {
      file.file.resume();
      return { message: `${name} already exists, skipped` };
    }
    await save(file, target);
    return { message: `${name} uploaded successfully` };
  });

  app.get<{ Querystring: { file_name: string } }>(
    '/api/label-data',
    { schema: fileNameQuery },
    async (req, reply) => {
      const name = safeBaseName(req.query.file_name);
      return sendTextFile(reply, join(ctx.dataDir, LABELS_DIR, name), name);
    },
  );

  app.post<{ Querystring: { pipeline_name: string } }>(
    '/api/tensorboard',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['pipeline_name'],
          properties: { pipeline_name: { type: 'string', minLength: 1 } },
        },
      },
    },
    async (req) => {
      // `team/project` nests, as in Python's server; each segment is checked.
      const pipelineDirs = safePipelineSegments(req.query.pipeline_name);
      const file = await uploadedFile(req);
      const segments = safeSegments(file.filename);
      await save(file, join(ctx.dataDir, TENSORBOARD_DIR, ...pipelineDirs, ...segments));
      return { message: `${segments.join('/')} uploaded successfully` };
    },
  );
}
