import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError, UsageError } from '../../../src/errors/index.js';
import { hashBuffer, hashFile, isTextChunk, md5Hex } from '../../../src/hashing/file-hash.js';
import { tempDir } from './helpers.js';

const MiB = 1 << 20;

// Expected values computed with Python's hashlib and a re-implementation of dvc-data 3.15's
// Dos2UnixHashStreamFile (text test on the first 512 bytes of every 1 MiB chunk).
const binThenText = Buffer.concat([
  Buffer.from('\x00\x01\r\n'.repeat(MiB / 4), 'latin1'),
  Buffer.from('line\r\n'.repeat(1000)),
]);
const crlfSplit = Buffer.from('x'.repeat(MiB - 1) + '\r' + '\nmore\r\n', 'latin1');
const textThenBin = Buffer.concat([
  Buffer.from('ab\r\n'.repeat(MiB / 4)),
  Buffer.from('\x00\r\n', 'latin1'),
]);

describe('file hashing', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  const write = (name: string, data: string | Uint8Array): string => {
    const p = join(dir, name);
    writeFileSync(p, data);
    return p;
  };

  it('hashes raw bytes with md5 (A1.1 vectors)', async () => {
    expect((await hashFile(write('empty', ''))).md5).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(await hashFile(write('a', 'a\n'))).toEqual({
      md5: '60b725f10c9c85c70d97880dfe8191b3',
      size: 2,
      isexec: false,
    });
    expect((await hashFile(write('b', 'b\n'))).md5).toBe('3b5d5c3712955042212316173ccf37be');
    expect((await hashFile(write('crlf', 'hello\r\nworld\r\n'))).md5).toBe(
      '7ac062d8a84466e70d9b899c0821a51c',
    );
  });

  it('reports isexec from any execute bit', async () => {
    const p = write('run.sh', '#!/bin/sh\n');
    const { chmodSync } = await import('node:fs');
    chmodSync(p, 0o744);
    expect((await hashFile(p)).isexec).toBe(true);
  });

  it('computes md5-dos2unix (A1.2 vector)', async () => {
    const p = write('crlf', 'hello\r\nworld\r\n');
    expect((await hashFile(p, { hashName: 'md5-dos2unix' })).md5).toBe(
      '0f723ae7f9bf07744445e93ac5595156',
    );
    expect(hashBuffer(Buffer.from('hello\r\nworld\r\n'), { hashName: 'md5-dos2unix' })).toBe(
      '0f723ae7f9bf07744445e93ac5595156',
    );
  });

  it('applies the text test per 1 MiB chunk (binary chunk, then text chunk)', async () => {
    const p = write('bt', binThenText);
    expect((await hashFile(p, { hashName: 'md5-dos2unix' })).md5).toBe(
      '8d50add60c61bfec6a819b79cb3c1aef',
    );
    expect((await hashFile(p)).md5).toBe('8130bf29dd623eacf1523938113d517d');
    expect((await hashFile(p)).size).toBe(binThenText.length);
  });

  it('applies the text test per chunk (text chunk, then binary chunk)', async () => {
    const p = write('tb', textThenBin);
    expect((await hashFile(p, { hashName: 'md5-dos2unix' })).md5).toBe(
      '183d621bdc19ce0a8a685009db37425f',
    );
    expect(hashBuffer(textThenBin, { hashName: 'md5-dos2unix' })).toBe(
      '183d621bdc19ce0a8a685009db37425f',
    );
  });

  it('does not join a CRLF split across a chunk boundary', async () => {
    const p = write('split', crlfSplit);
    expect((await hashFile(p, { hashName: 'md5-dos2unix' })).md5).toBe(
      '72e17e2925b173e24b88bea0b77fd6eb',
    );
  });

  it('gives the same md5 for multi-chunk files as a one-shot digest', async () => {
    const data = Buffer.alloc(3 * MiB + 123);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff;
    const p = write('big', data);
    expect((await hashFile(p)).md5).toBe(md5Hex(data));
    expect(hashBuffer(data)).toBe(md5Hex(data));
  });

  it('throws typed errors for missing files and directories', async () => {
    await expect(hashFile(join(dir, 'nope'))).rejects.toBeInstanceOf(NotFoundError);
    await expect(hashFile(dir)).rejects.toBeInstanceOf(UsageError);
  });
});

describe('isTextChunk', () => {
  it('treats empty as text and NUL as binary', () => {
    expect(isTextChunk(new Uint8Array())).toBe(true);
    expect(isTextChunk(Buffer.from('abc\x00def', 'latin1'))).toBe(false);
    expect(isTextChunk(Buffer.from('plain text\r\n\t\f\b'))).toBe(true);
  });

  it('uses the 30% threshold on the first 512 bytes only', () => {
    const block = (nontext: number): Buffer =>
      Buffer.concat([Buffer.alloc(nontext, 0x80), Buffer.alloc(512 - nontext, 0x61)]);
    expect(isTextChunk(block(153))).toBe(true); // 29.9%
    expect(isTextChunk(block(154))).toBe(false); // 30.1%
    const textThenNul = Buffer.concat([Buffer.alloc(512, 0x61), Buffer.alloc(100, 0)]);
    expect(isTextChunk(textThenNul)).toBe(true);
    expect(isTextChunk(Buffer.from('\u00e9\u00e9\u00e9'))).toBe(false); // UTF-8 bytes are >= 0x80
  });
});
