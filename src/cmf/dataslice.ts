/**
 * A dataslice: a set of files (each with its md5 and optional properties) committed as one
 * parquet table, `cmf_artifacts/<execution uuid>/dataslice/<name>`, logged as a `Dataslice`.
 */
import type { LogResult } from './artifact-logging.js';
import type { Row } from './parquet.js';
import { customProperties, type CustomProperties } from './values.js';

/** What a DataSlice needs from its Cmf instance. */
export interface DataSliceHost {
  _hashForSlice(path: string): Promise<{ recorded: string; md5: string }>;
  _commitDataslice(
    name: string,
    files: Map<string, Row>,
    props: ReturnType<typeof customProperties>,
  ): Promise<LogResult>;
}

export class DataSlice {
  private readonly rows = new Map<string, Row>();
  private readonly host: DataSliceHost;
  readonly name: string;

  /** @internal use `Cmf.createDataslice` */
  constructor(host: DataSliceHost, name: string) {
    this.host = host;
    this.name = name;
  }

  /** Adds a file (its md5 goes into the `hash` column) with optional per-file properties. */
  async addData(path: string, props?: CustomProperties): Promise<void> {
    const typed = customProperties('addData', props);
    const { recorded, md5 } = await this.host._hashForSlice(path);
    this.rows.set(recorded, { hash: { type: 'string', value: md5 }, ...typed });
  }

  /** Writes the parquet and logs it as a `Dataslice` output of the current execution. */
  commit(props?: CustomProperties): Promise<LogResult> {
    return this.host._commitDataslice(this.name, this.rows, customProperties('commit', props));
  }
}
