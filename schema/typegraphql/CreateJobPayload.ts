import 'reflect-metadata';
import { Field, ObjectType } from 'type-graphql';
import { Job } from './Job.js';

@ObjectType({ description: 'The result of `createJob`.' })
export class CreateJobPayload {
  @Field(() => Job, {
    description: 'The new job, or the existing one with the same idempotency key.',
  })
  job!: Job;

  @Field(() => Boolean, {
    description: 'False when an earlier job with the same idempotency key was returned.',
  })
  created!: boolean;
}
