/** src/errors.ts: low-level network errors become the right store error code; one coded error class; errorLine. */
import { describe, expect, it } from 'vitest';
import { CheckError, classifyNetworkError, DbcheckError, errorLine, isCoded } from '../../src/errors.js';
import { CheckError as PluginCheckError } from '../../src/plugin.js';

describe('classifyNetworkError', () => {
  it('reads gRPC deadline messages as timeouts, whatever phases they list', () => {
    expect(
      classifyNetworkError(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded after 0.995s,name resolution: 0.002s,Waiting for LB pick')),
    ).toBe('STORE_TIMEOUT');
    expect(classifyNetworkError(new Error('14 UNAVAILABLE: Name resolution failed for target dns:nohost.invalid:19530'))).toBe(
      'STORE_UNKNOWN_HOST',
    );
    expect(classifyNetworkError(new Error('14 UNAVAILABLE: No connection established. Connection to dns:127.0.0.1:1 refused'))).toBe(
      'STORE_UNREACHABLE',
    );
    expect(classifyNetworkError(Object.assign(new Error('getaddrinfo ENOTFOUND db.invalid'), { code: 'ENOTFOUND' }))).toBe(
      'STORE_UNKNOWN_HOST',
    );
  });
});

describe('one coded error type', () => {
  it('DbcheckError is CheckError (the class plugins get from src/plugin.ts), with hint, cause and address', () => {
    expect(PluginCheckError).toBe(CheckError);
    const cause = new Error('ECONNREFUSED');
    const e = new DbcheckError('STORE_UNREACHABLE', 'Redis at redis://h:6379: connection refused', {
      hint: 'is it running?',
      cause,
      address: 'redis://h:6379',
    });
    expect(e).toBeInstanceOf(CheckError);
    expect([e.code, e.hint, e.address, e.cause]).toEqual(['STORE_UNREACHABLE', 'is it running?', 'redis://h:6379', cause]);
    expect(isCoded(e)).toBe(true);
  });

  it('a check passes the hint alone, as before', () => {
    const e = new CheckError('NO_STORE', 'nothing to load', 'configure a store');
    expect([e.code, e.message, e.hint, e.address]).toEqual(['NO_STORE', 'nothing to load', 'configure a store', undefined]);
  });
});

describe('errorLine', () => {
  it('is the first line of the message, or of the thrown value when it has none', () => {
    expect(errorLine(new Error('relation "x" does not exist\nLINE 1: SELECT'))).toBe('relation "x" does not exist');
    expect(errorLine('plain text\nsecond')).toBe('plain text');
    expect(errorLine({ message: 42 })).toBe('42');
    expect(errorLine(null)).toBe('null');
    expect(errorLine(undefined)).toBe('undefined');
  });
});
