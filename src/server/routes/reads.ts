/**
 * Liveness and the read routes a UI or a script uses (spec/cmf-reference.md §9.2), with
 * Python's query parameters and defaults.
 */
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../app.js';
import {
  artifactRecords,
  artifactTypeNames,
  executionRecords,
  paginate,
  pipelineNames,
  pipelineStageTypes,
} from '../read-queries.js';

interface PageQuery {
  stage_name?: string;
  artifact_type?: string;
  active_page: number;
  record_per_page: number;
  sort_order: 'ASC' | 'DESC' | 'asc' | 'desc';
  sort_field?: string;
  filter_value?: string;
}

const pageQuery = (extra: Record<string, object> = {}) =>
  ({
    params: {
      type: 'object',
      properties: { pipeline_name: { type: 'string', minLength: 1 } },
    },
    querystring: {
      type: 'object',
      properties: {
        stage_name: { type: 'string' },
        active_page: { type: 'integer', minimum: 1, default: 1 },
        record_per_page: { type: 'integer', minimum: 1, maximum: 10000, default: 5 },
        sort_order: { type: 'string', enum: ['ASC', 'DESC', 'asc', 'desc'], default: 'DESC' },
        filter_value: { type: 'string' },
        ...extra,
      },
    },
  }) as const;

const LIVENESS = ['cmf-server'];

export function readRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/', async () => LIVENESS);
  app.get('/api', async () => LIVENESS);
  app.get('/api/', async () => LIVENESS);

  app.get('/api/pipelines', async () => pipelineNames(ctx.store));
  app.get('/api/artifact_types', async () => artifactTypeNames(ctx.store));

  app.get<{ Params: { pipeline_name: string } }>(
    '/api/pipeline-stages/:pipeline_name',
    async (req) => pipelineStageTypes(ctx.store, req.params.pipeline_name),
  );

  app.get<{ Params: { pipeline_name: string }; Querystring: PageQuery }>(
    '/api/executions-by-stage/:pipeline_name',
    { schema: pageQuery() },
    async (req) => {
      const q = req.query;
      const rows = await executionRecords(ctx.store, req.params.pipeline_name, q.stage_name);
      return paginate(rows, {
        filterValue: q.filter_value,
        sortField: 'id',
        sortOrder: q.sort_order.toUpperCase() as 'ASC' | 'DESC',
        page: q.active_page,
        perPage: q.record_per_page,
      });
    },
  );

  app.get<{ Params: { pipeline_name: string }; Querystring: PageQuery }>(
    '/api/artifacts-by-stage/:pipeline_name',
    {
      schema: pageQuery({
        artifact_type: { type: 'string' },
        sort_field: { type: 'string', default: 'name' },
      }),
    },
    async (req) => {
      const q = req.query;
      const rows = await artifactRecords(ctx.store, req.params.pipeline_name, {
        stageName: q.stage_name,
        artifactType: q.artifact_type,
      });
      return paginate(rows, {
        filterValue: q.filter_value,
        sortField: q.sort_field,
        sortOrder: q.sort_order.toUpperCase() as 'ASC' | 'DESC',
        page: q.active_page,
        perPage: q.record_per_page,
      });
    },
  );

  app.get<{ Params: { pipeline_name: string }; Querystring: { stage_name?: string } }>(
    '/api/artifact-types-by-stage/:pipeline_name',
    async (req) => {
      const rows = await artifactRecords(ctx.store, req.params.pipeline_name, {
        stageName: req.query.stage_name,
      });
      return [...new Set(rows.map((r) => r.type))];
    },
  );
}
