/** src/errors.ts: low-level network errors become the right store error code. */
import { describe, expect, it } from 'vitest';
import { classifyNetworkError } from '../../src/errors.js';

describe('classifyNetworkError', () => {
  it('reads gRPC deadline messages as timeouts, whatever phases they list', () => {
    expect(classifyNetworkError(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded after 0.995s,name resolution: 0.002s,Waiting for LB pick'))).toBe('STORE_TIMEOUT');
    expect(classifyNetworkError(new Error('14 UNAVAILABLE: Name resolution failed for target dns:nohost.invalid:19530'))).toBe('STORE_UNKNOWN_HOST');
    expect(classifyNetworkError(new Error('14 UNAVAILABLE: No connection established. Connection to dns:127.0.0.1:1 refused'))).toBe('STORE_UNREACHABLE');
    expect(classifyNetworkError(Object.assign(new Error('getaddrinfo ENOTFOUND db.invalid'), { code: 'ENOTFOUND' }))).toBe('STORE_UNKNOWN_HOST');
  });
});
