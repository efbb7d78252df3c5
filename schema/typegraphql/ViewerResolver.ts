import 'reflect-metadata';
import { Ctx, Query, Resolver } from 'type-graphql';
import type { GatewayContext } from '../context.js';
import { Role } from './enums.js';
import { Viewer } from './Viewer.js';

@Resolver()
export class ViewerResolver {
  @Query(() => Viewer, {
    description: 'The caller. Reads the verified token only, not the database.',
  })
  viewer(@Ctx() { claims }: GatewayContext): Viewer {
    return { userId: claims.sub, orgId: claims.orgId, role: claims.role as Role };
  }
}
