import 'reflect-metadata';
import { Field, ObjectType } from 'type-graphql';
import { Role } from './enums.js';
import { UUIDScalar } from './scalars.js';

@ObjectType({ description: 'Who is calling, as the verified token says.' })
export class Viewer {
  @Field(() => String, { description: 'The token subject (`sub`).' })
  userId!: string;

  @Field(() => UUIDScalar, { description: "The caller's org." })
  orgId!: string;

  @Field(() => Role, { description: "The caller's role in its org." })
  role!: Role;
}
