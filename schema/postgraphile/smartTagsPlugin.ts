/**
 * What PostGraphile exposes from `app_public`, as smart tags kept next to the
 * preset (the SQL comments stay descriptions for DBAs and the schema).
 * Reads only: mutations are type-graphql's. Root fields: `job(id)`, `jobs`,
 * `auditEvents`; events are reached through `Job.events`.
 */
import { pgSmartTags, type PgSmartTagRule } from 'postgraphile/utils';

const rules: PgSmartTagRule[] = [
  // No root fields for events: they belong to their job.
  {
    kind: 'class',
    match: 'app_public.job_events',
    tags: { behavior: ['-query:resource:connection', '-query:resource:list'] },
  },
  // `job(id: UUID!)`; no other single-row lookups at the root. The keys all
  // start with org_id (sql/migrations/000016_distributable_keys.sql) and RLS
  // supplies the org, so the lookup is by id: uuids are unique on their own.
  { kind: 'class', match: 'app_public.jobs', tags: { unique: 'id|@fieldName job' } },
  ...[
    'app_public.jobs.jobs_pkey',
    'app_public.jobs.jobs_org_idempotency_key_key',
    'app_public.job_events.job_events_pkey',
    'app_public.audit_events.audit_events_pkey',
  ].map((match): PgSmartTagRule => ({ kind: 'constraint', match, tags: { behavior: '-single' } })),
  // (org_id, job_id) is served by the (job_id, ts) index: job ids are unique.
  {
    kind: 'constraint',
    match: 'app_public.job_events.job_events_job_fkey',
    tags: { foreignFieldName: 'events', fieldName: 'job', isIndexed: true },
  },
  // The job's turn in the fair queue is for the database and DBAs, not clients.
  { kind: 'attribute', match: 'app_public.jobs.queue_turn', tags: { behavior: '-*' } },
  // The creating request's trace is for the worker and operators (000020).
  { kind: 'attribute', match: 'app_public.jobs.traceparent', tags: { behavior: '-*' } },
  // Filters and orderings clients may use; everything else is off by default.
  ...['app_public.jobs.status', 'app_public.jobs.type'].map((match): PgSmartTagRule => ({
    kind: 'attribute',
    match,
    tags: { behavior: '+filterBy' },
  })),
  ...['app_public.jobs.created_at', 'app_public.job_events.ts', 'app_public.audit_events.ts'].map(
    (match): PgSmartTagRule => ({ kind: 'attribute', match, tags: { behavior: '+orderBy' } }),
  ),
];

export const SmartTagsPlugin = pgSmartTags(rules, null, { name: 'HeimdexSmartTagsPlugin' });
