import 'reflect-metadata';
import { IsInt, IsOptional, Length, Max, Min } from 'class-validator';
import { Field, InputType, Int } from 'type-graphql';
import { JobStage, JobType } from './enums.js';

@InputType({ description: 'A job to create.' })
export class CreateJobInput {
  @Field(() => JobType, { description: 'What the job does.' })
  type!: JobType;

  @Field(() => JobStage, {
    nullable: true,
    description: 'Testing aid: the job fails deterministically at this stage.',
  })
  failAtStage?: JobStage | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Unique per org, 1 to 200 characters: creating a job with a key already used in the org returns that job (with `created: false`) instead of a new one.',
  })
  @IsOptional()
  @Length(1, 200)
  idempotencyKey?: string | null;

  @Field(() => Int, {
    nullable: true,
    description:
      "Higher runs first among your org's own queued jobs, -100 to 100; default 0. It never moves a job ahead of another org's.",
  })
  @IsOptional()
  @IsInt()
  @Min(-100)
  @Max(100)
  priority?: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      "Attempts before the job is dead-lettered, 1 to 25; default 3. Lowered to the server's maximum (JOBS_MAX_ATTEMPTS) when above it, the default included.",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(25)
  maxAttempts?: number | null;
}
