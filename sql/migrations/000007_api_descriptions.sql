-- Descriptions for the columns and types the GraphQL schema exposes.
-- PostGraphile turns these comments into the descriptions frontend teams
-- read in schema.graphql and in their generated types.

comment on type app_public.job_status is
  'Where a job is in its life: QUEUED, RUNNING, then SUCCEEDED, FAILED (retryable), DEAD_LETTER (attempts exhausted) or CANCELED.';
comment on type app_public.job_stage is
  'The steps of a MOCK_PROCESS job, in order: EXTRACTING, ANALYZING, INDEXING.';

comment on column app_public.jobs.type is 'What the job does.';
comment on column app_public.jobs.max_attempts is 'Attempts before the job is dead-lettered, 1 to 25.';
comment on column app_public.jobs.result is 'What a succeeded job produced.';
comment on column app_public.jobs.last_error_code is 'Stable code of the last failure, e.g. DETERMINISTIC_FAILURE.';
comment on column app_public.jobs.last_error_message is 'Human-readable message of the last failure.';
comment on column app_public.jobs.created_at is 'When the job was created.';
comment on column app_public.jobs.updated_at is 'When the job last changed.';
comment on column app_public.jobs.started_at is 'When the first attempt started.';

comment on column app_public.job_events.id is 'Increasing event id.';
comment on column app_public.job_events.job_id is 'The job this event belongs to.';
comment on column app_public.job_events.org_id is 'The org of the job.';
comment on column app_public.job_events.ts is 'When the transition happened.';
comment on column app_public.job_events.stage is 'The stage at the time of the transition.';
comment on column app_public.job_events.progress is 'Percent complete at the time of the transition.';

comment on column app_public.audit_events.id is 'Increasing event id.';
comment on column app_public.audit_events.org_id is 'The org the action happened in.';
comment on column app_public.audit_events.target_type is 'Kind of thing acted on, e.g. job.';
comment on column app_public.audit_events.target_id is 'Id of the thing acted on.';
comment on column app_public.audit_events.detail is 'Action details, e.g. the status a job was canceled from.';
comment on column app_public.audit_events.ts is 'When the action happened.';
