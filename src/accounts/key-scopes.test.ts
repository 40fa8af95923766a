import { describe, expect, it } from 'vitest';
import { DEFAULT_LEVEL_LIMITS } from '../config/access-schema.js';
import { buildKeyScopes, compileKeyScopes, hasGrant, selfServiceScopes } from './key-scopes.js';

describe('key scopes', () => {
  it('builds scopes from command-line input, leaving out what is not given', () => {
    expect(buildKeyScopes({})).toEqual({});
    expect(buildKeyScopes({ endpoints: ['responses'], models: ['gpt-4o*'], requestsPerMinute: 5, grants: ['assert_user_level'] })).toEqual({
      endpoints: ['responses'],
      models: ['gpt-4o*'],
      limits: { requestsPerMinute: 5 },
      grants: ['assert_user_level'],
    });
    expect(() => buildKeyScopes({ endpoints: ['embeddings'] })).toThrow(/endpoints/);
    expect(() => buildKeyScopes({ grants: ['admin'] })).toThrow(/grants/);
    expect(() => buildKeyScopes({ requestsPerMinute: 0 })).toThrow(/limits/);
  });

  it('compiles once per scopes object and fails closed on invalid scopes', () => {
    const raw = { models: ['gpt-4o*'], extra: { kept: true } };
    const a = compileKeyScopes(raw);
    expect(a?.models?.[0]?.test('gpt-4o-mini')).toBe(true);
    expect(compileKeyScopes(raw)).toBe(a);
    expect(compileKeyScopes({ endpoints: 'all' })).toBeNull();
    expect(hasGrant({ grants: ['assert_user_level'] }, 'assert_user_level')).toBe(true);
    expect(hasGrant({}, 'assert_user_level')).toBe(false);
  });

  it('caps self-service keys at the level and grants no powers', () => {
    const level = { ...DEFAULT_LEVEL_LIMITS.email_verified, models: ['gpt-4o-mini'] };
    const scopes = selfServiceScopes(level, { requestsPerMinute: 10_000, models: ['gpt-5'], grants: ['assert_user_level'] });
    expect(scopes).toEqual({ models: ['gpt-4o-mini'], limits: { requestsPerMinute: level.requestsPerMinute, tokensPerDay: level.tokensPerDay } });
    const open = selfServiceScopes(DEFAULT_LEVEL_LIMITS.id_verified, { models: ['gpt-4o*'], tokensPerDay: 5 });
    expect(open).toMatchObject({ models: ['gpt-4o*'], limits: { tokensPerDay: 5 } });
  });
});
