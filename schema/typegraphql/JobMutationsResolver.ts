import 'reflect-metadata';
import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { GatewayContext } from '../context.js';
import { createJob } from '../jobs/createJob.js';
import type { JobLimits } from '../jobs/jobLimits.js';
import { cancelJob, retryJob } from '../jobs/changeJobStatus.js';
import { CreateJobInput } from './CreateJobInput.js';
import { CreateJobPayload } from './CreateJobPayload.js';
import { Job } from './Job.js';
import { UUIDScalar } from './scalars.js';

@Resolver()
export class JobMutationsResolver {
  constructor(private readonly limits: JobLimits) {}

  @Mutation(() => CreateJobPayload, {
    description:
      'Creates a job in your org and queues it, in one transaction. Needs the member or admin role. QUOTA_EXCEEDED when your org already has the most active (queued or running) jobs allowed.',
  })
  createJob(
    @Arg('input', () => CreateJobInput, { description: 'The job to create.' })
    input: CreateJobInput,
    @Ctx() ctx: GatewayContext,
  ): Promise<CreateJobPayload> {
    return createJob(ctx.db, input, this.limits, ctx.traceparent);
  }

  @Mutation(() => Job, {
    description:
      'Cancels a QUEUED or RUNNING job (CONFLICT otherwise; NOT_FOUND for a job not in your org).',
  })
  cancelJob(
    @Arg('id', () => UUIDScalar, { description: 'The job to cancel.' }) id: string,
    @Ctx() ctx: GatewayContext,
  ): Promise<Job> {
    return cancelJob(ctx.db, id);
  }

  @Mutation(() => Job, {
    description:
      'Queues a FAILED or DEAD_LETTER job again, from attempt 0 (CONFLICT otherwise; NOT_FOUND for a job not in your org; QUOTA_EXCEEDED when your org already has the most active jobs allowed).',
  })
  retryJob(
    @Arg('id', () => UUIDScalar, { description: 'The job to retry.' }) id: string,
    @Ctx() ctx: GatewayContext,
  ): Promise<Job> {
    return retryJob(ctx.db, id, this.limits);
  }
}
