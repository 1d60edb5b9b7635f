/**
 * A document received piece by piece (DocumentSpool, JsonStringDecoder) reads as the whole
 * text does (readDocument): the same pipelines, stages and executions, the same first error
 * in document order, the same syntax errors; whatever the pieces' sizes.
 */
import { describe, expect, it } from 'vitest';
import { DocumentSpool } from '../../../src/cmf/document-spool.js';
import { parseExactJson } from '../../../src/cmf/exact-json.js';
import { JsonStringDecoder } from '../../../src/cmf/json-string-decoder.js';
import { readDocument, type DocPipeline } from '../../../src/cmf/merge-document.js';
import { pythonPayload } from '../../fixtures/merge/python-payload.js';

/** The text fed to a spool in pieces of `size` bytes (0: random sizes). */
function spoolOf(text: string, size: number): DocumentSpool {
  const bytes = Buffer.from(text, 'utf8');
  const spool = new DocumentSpool();
  for (let i = 0; i < bytes.length;) {
    const n = size > 0 ? size : 1 + Math.floor(Math.random() * 40);
    spool.write(bytes.subarray(i, i + n));
    i += n;
  }
  spool.end();
  return spool;
}

/** Pipelines with every execution loaded, as plain data. */
function loaded(pipelines: DocPipeline[] | undefined): unknown {
  return pipelines?.map((p) => ({
    ...p,
    stages: p.stages.map((s) => ({ ...s, executions: s.executions.map((e) => e.load()) })),
  }));
}

/** What reading gives: the loaded pipelines, or the error's class and message. */
function outcome(read: () => DocPipeline[] | undefined): unknown {
  try {
    return { ok: loaded(read()) };
  } catch (err) {
    return { error: (err as Error).constructor.name, message: (err as Error).message };
  }
}

function expectSame(text: string): void {
  const want = outcome(() => readDocument(text));
  for (const size of [1, 7, 1000, 0]) {
    const spool = spoolOf(text, size);
    try {
      expect(outcome(() => spool.pipelines())).toEqual(want);
      // Valid JSON is read from the pieces, never parsed whole.
      expect(spool.parsedWhole).toBe(false);
    } finally {
      spool.close();
    }
  }
}

const exec = (uuid: string, extra = '') =>
  `{"type": "Train", "name": "", "events": [{"type": 4, "artifact": {"type": "Dataset", "name": "a:${uuid}", "uri": "${uuid}", "properties": {"x": 1.0, "n": NaN}}}], "id": 3, "properties": {"Execution_uuid": "${uuid}", "Note": "a } ] [ { \\" , : \\\\"}${extra}}`;
const doc = (executions: string[], stageExtra = '') =>
  `{"Pipeline": [{"name": "P", "stages": [{"name": "P/S", "executions": [${executions.join(', ')}]${stageExtra}}]}]}`;

describe('a spooled document', () => {
  it('reads as the whole text, in pieces of any size', () => {
    expectSame(pythonPayload());
    expectSame(doc([exec('u1'), exec('u2'), exec('u3')]));
    // Escaped keys, duplicate keys (the last wins), white space everywhere, non-ASCII text.
    expectSame(
      ` { "Pipel\\u0069ne" : [ { "name":"P","stages":[],"stages" : [ {"name":"S\u00e9","executions" : [ ${exec('a')} , ${exec('b')} ] , "executions": [ ${exec('c')} ] } ] } ] } `,
    );
    // Lists and pipelines that are not where the format puts them.
    expectSame(`{"Pipeline": [{"name": "P", "stages": {"executions": [1]}}]}`);
    expectSame(`{"Other": [{"stages": [{"executions": [1, "x"]}]}], "Pipeline": []}`);
    expectSame(`[{"Pipeline": 1}]`);
    expectSame(`"text"`);
  });

  it('reports the first error in document order, also when it is near the end', () => {
    const many = Array.from({ length: 300 }, (_, i) => exec(`u${i}`));
    expectSame(doc([...many, exec('bad', ', "events": 3')]));
    expectSame(doc([...many, '7']));
    // An execution's error comes before its stage's later one, and after an earlier one.
    expectSame(doc([exec('u'), exec('v', ', "id": "x"')], ', "create_time_since_epoch": "y"'));
    expectSame(doc([exec('u')], ', "create_time_since_epoch": "y"'));
    // An error in an execution that a duplicate key drops is not reported.
    expectSame(
      `{"Pipeline": [{"name": "P", "stages": [{"name": "S", "executions": [7], "executions": [${exec('u')}]}]}]}`,
    );
  });

  it('is not JSON when any part is not, with the parser error of the whole text', () => {
    const many = Array.from({ length: 50 }, (_, i) => exec(`u${i}`));
    const broken = [
      doc([...many, exec('bad').slice(0, -1)]),
      doc([...many, exec('bad') + ' ' + exec('c')]),
      doc([...many, exec('bad') + 'x']),
      doc(many).slice(0, -2),
      doc(many) + ',',
      '',
    ];
    for (const text of broken) {
      expect(readDocument(text)).toBeUndefined();
      let want: unknown;
      try {
        parseExactJson(text);
      } catch (err) {
        want = (err as Error).message;
      }
      expect(want).toBeDefined();
      const spool = spoolOf(text, 0);
      try {
        expect(spool.pipelines()).toBeUndefined();
        expect(() => spool.top()).toThrow(want as string);
      } finally {
        spool.close();
      }
    }
  });

  it('counts the executions that are objects', () => {
    const spool = spoolOf(doc([exec('a'), '1', exec('b')]), 5);
    try {
      expect(spool.executionCount()).toBe(2);
    } finally {
      spool.close();
    }
  });
});

describe('a JSON string decoded in pieces', () => {
  it('gives the bytes JSON.parse gives, escapes split anywhere', () => {
    const samples = [
      'plain',
      'quote " backslash \\ slash / \b\f\n\r\t',
      'caf\u00e9 \u4e2d\u6587 \ud83d\ude00 emoji',
      '\u0000\u001f control',
      JSON.stringify({ a: ['x', 1.5, 'y"z'] }),
    ];
    for (const s of samples) {
      for (const literal of [
        JSON.stringify(s),
        JSON.stringify(s).replace(
          /[^\x20-\x7e]/g,
          (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
        ),
      ]) {
        const bytes = Buffer.from(literal + ' tail', 'utf8');
        for (let cut = 1; cut < bytes.length; cut++) {
          const d = new JsonStringDecoder();
          const a = d.write(bytes.subarray(0, cut), 1);
          const out = [a.out];
          let end = a.end >= 0 ? a.end : -1;
          if (end < 0) {
            const b = d.write(bytes.subarray(cut), 0);
            out.push(b.out);
            end = b.end + cut;
          }
          expect(d.invalid).toBe(false);
          expect(Buffer.concat(out).toString('utf8')).toBe(s);
          expect(bytes.subarray(end).toString()).toBe(' tail');
        }
      }
    }
  });

  it('keeps a lone surrogate as its escape, and tells bad literals', () => {
    const d = new JsonStringDecoder();
    const { out } = d.write(Buffer.from('a\\ud800b"'));
    expect(JSON.parse(`"${out.toString()}"`)).toBe('a\ud800b');
    for (const bad of ['a\\x"', 'a\nb"', 'a\\u12g4"']) {
      const e = new JsonStringDecoder();
      e.write(Buffer.from(bad));
      expect(e.invalid).toBe(true);
    }
    const cut = new JsonStringDecoder();
    cut.write(Buffer.from('abc\\'));
    cut.finish();
    expect(cut.invalid).toBe(true);
  });
});
