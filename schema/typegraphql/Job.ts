import 'reflect-metadata';
import { Field, Int, ObjectType } from 'type-graphql';
import { JobStage, JobStatus, JobType } from './enums.js';
import { DatetimeScalar, JSONScalar, UUIDScalar } from './scalars.js';

/**
 * The scalar fields of PostGraphile's `Job`, field for field, so a mutation
 * selecting only these runs on type-graphql alone. The public schema takes
 * PostGraphile's definition (descriptions, `events`); the composition
 * fetches PostGraphile-only fields by id.
 */
@ObjectType('Job')
export class Job {
  @Field(() => UUIDScalar) id!: string;
  @Field(() => UUIDScalar) orgId!: string;
  @Field(() => JobType) type!: JobType;
  @Field(() => JobStatus) status!: JobStatus;
  @Field(() => JobStage, { nullable: true }) stage!: JobStage | null;
  @Field(() => Int) progress!: number;
  @Field(() => Int) attempt!: number;
  @Field(() => Int) maxAttempts!: number;
  @Field(() => Int) priority!: number;
  @Field(() => JobStage, { nullable: true }) failAtStage!: JobStage | null;
  @Field(() => String, { nullable: true }) idempotencyKey!: string | null;
  @Field(() => String) requestedBy!: string;
  @Field(() => JSONScalar, { nullable: true }) result!: unknown;
  @Field(() => String, { nullable: true }) lastErrorCode!: string | null;
  @Field(() => String, { nullable: true }) lastErrorMessage!: string | null;
  @Field(() => DatetimeScalar) createdAt!: string;
  @Field(() => DatetimeScalar) updatedAt!: string;
  @Field(() => DatetimeScalar, { nullable: true }) startedAt!: string | null;
  @Field(() => DatetimeScalar, { nullable: true }) finishedAt!: string | null;
}
