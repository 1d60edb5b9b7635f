/**
 * Metrics: coarse execution metrics (`Metrics` artifacts whose values are custom properties)
 * and step metrics (rows kept in memory, committed as a parquet `Step_Metrics` artifact).
 */
import { v1 as uuid1 } from 'uuid';
import { UsageError } from '../errors/index.js';
import { EventType } from '../mlmd/index.js';
import { recordArtifact, type LogResult } from './artifact-logging.js';
import { checkFileName, checkText } from './arguments.js';
import type { LogHost } from './host.js';
import { writeTable, type Row } from './parquet.js';
import { recordedPath } from './project.js';
import { customProperties, type CustomProperties } from './values.js';

/**
 * Logs coarse metrics of the execution as a `Metrics` output named
 * `<name>:<uuid1>:<execution id>` (uri: that uuid), the values as custom properties.
 */
export async function logExecutionMetrics(
  host: LogHost,
  name: string,
  values: CustomProperties,
): Promise<LogResult> {
  checkText('metrics name', name);
  const props = customProperties('logExecutionMetrics', values);
  const scope = await host.scope();
  const typeId = host.types.artifact('Metrics');
  const uuid = uuid1();
  const full = `${name}:${uuid}:${scope.executionId}`;
  return host.store.transaction(() =>
    recordArtifact(scope, {
      typeId,
      name: full,
      uri: uuid,
      properties: { metrics_name: full },
      custom: props,
      event: EventType.OUTPUT,
      alwaysNew: true,
    }),
  );
}

/** Step metrics of one Cmf instance: rows per name until they are committed. */
export class StepMetrics {
  private readonly rows = new Map<string, Row[]>();

  /** Adds one row (`SequenceNumber` counts the calls from 1). */
  log(name: string, values: CustomProperties): void {
    checkFileName('metrics', name);
    const row = customProperties('logMetric', values);
    if ('SequenceNumber' in row) {
      throw new UsageError(
        'CMF_BAD_PROPERTY',
        'SequenceNumber is the index column of step metrics',
        {
          hint: 'Use another key.',
        },
      );
    }
    let rows = this.rows.get(name);
    if (!rows) this.rows.set(name, (rows = []));
    rows.push(row);
  }

  /**
   * Writes the rows as parquet at `cmf_artifacts/<execution uuid>/metrics/<name>`, versions
   * it and logs it as a `Step_Metrics` output named `<path>:<hash>:<execution id>:<uuid1>`.
   * Clears the rows.
   */
  async commit(host: LogHost, name: string): Promise<LogResult> {
    checkFileName('metrics', name);
    const rows = this.rows.get(name);
    if (!rows || rows.length === 0) {
      throw new UsageError(
        'CMF_NO_METRICS',
        `No step metrics were logged under ${JSON.stringify(name)}`,
        {
          hint: 'Call logMetric(name, values) before commitMetrics(name).',
        },
      );
    }
    const scope = await host.scope();
    const abs = host.generatedPath('metrics', name);
    const write = () =>
      writeTable(abs, {
        index: { name: 'SequenceNumber', values: rows.map((_, i) => i + 1) },
        rows,
      });
    const result = await host.logGenerated(abs, write, ({ oid, legacy }) =>
      host.store.transaction(() =>
        recordArtifact(scope, {
          typeId: host.types.artifact('Step_Metrics'),
          name: `${recordedPath(host.project, abs)}:${oid}:${scope.executionId}:${uuid1()}`,
          uri: oid,
          properties: { Commit: oid, url: host.url(oid, legacy) },
          custom: {},
          event: EventType.OUTPUT,
          alwaysNew: true,
        }),
      ),
    );
    this.rows.delete(name);
    return result;
  }
}
