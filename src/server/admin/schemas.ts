/**
 * Request schemas of the admin API (`/admin/*`). The console builds its
 * typed client from these, so they are the API's contract.
 */
import { z } from 'zod';
import { GRANTED_LEVELS } from '../../accounts/levels.js';

export const listUsersQuery = z
  .object({
    /** substring of the email, case-insensitive */
    email: z.string().max(320).optional(),
    role: z.enum(['user', 'admin']).optional(),
    /** granted level, or `none` */
    granted_level: z.enum([...GRANTED_LEVELS, 'none']).optional(),
    /** id of the last account of the previous page */
    after: z.string().max(100).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

export const setLevelBody = z
  .object({
    /** the granted level; null removes it (the account keeps what its own state gives it) */
    level: z.enum(GRANTED_LEVELS).nullable(),
    /** why, for the security log (no personal data) */
    reason: z.string().max(500).optional(),
  })
  .strict();

export const setRoleBody = z.object({ role: z.enum(['user', 'admin']) }).strict();

export const securityEventsQuery = z
  .object({
    type: z.string().max(100).optional(),
    subject: z.string().max(200).optional(),
    /** epoch ms, inclusive */
    since: z.coerce.number().int().nonnegative().optional(),
    /** epoch ms, exclusive */
    until: z.coerce.number().int().nonnegative().optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

export type ListUsersQuery = z.output<typeof listUsersQuery>;
export type SetLevelBody = z.output<typeof setLevelBody>;
export type SetRoleBody = z.output<typeof setRoleBody>;
export type SecurityEventsQuery = z.output<typeof securityEventsQuery>;
