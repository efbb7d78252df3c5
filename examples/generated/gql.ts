/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation CancelJob($id: UUID!) {\n  cancelJob(id: $id) {\n    id\n    status\n    finishedAt\n  }\n}": typeof types.CancelJobDocument,
    "mutation CreateJob($input: CreateJobInput!) {\n  createJob(input: $input) {\n    created\n    job {\n      id\n      status\n      createdAt\n    }\n  }\n}": typeof types.CreateJobDocument,
    "query Job($id: UUID!) {\n  job(id: $id) {\n    id\n    type\n    status\n    stage\n    progress\n    attempt\n    maxAttempts\n    lastErrorCode\n    lastErrorMessage\n    result\n    createdAt\n    finishedAt\n    events(orderBy: PRIMARY_KEY_ASC) {\n      nodes {\n        id\n        prevStatus\n        nextStatus\n        stage\n        progress\n        detail\n        ts\n      }\n    }\n  }\n}": typeof types.JobDocument,
    "subscription JobProgress($id: UUID!) {\n  jobUpdated(id: $id) {\n    id\n    status\n    stage\n    progress\n    lastErrorCode\n    finishedAt\n  }\n}": typeof types.JobProgressDocument,
    "query Jobs($first: Int = 20, $after: Cursor, $status: JobStatus) {\n  jobs(\n    first: $first\n    after: $after\n    orderBy: CREATED_AT_DESC\n    condition: {status: $status}\n  ) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    nodes {\n      id\n      type\n      status\n      stage\n      progress\n      attempt\n      createdAt\n    }\n  }\n}": typeof types.JobsDocument,
    "mutation RetryJob($id: UUID!) {\n  retryJob(id: $id) {\n    id\n    status\n    attempt\n  }\n}": typeof types.RetryJobDocument,
    "query Viewer {\n  viewer {\n    userId\n    orgId\n    role\n  }\n}": typeof types.ViewerDocument,
};
const documents: Documents = {
    "mutation CancelJob($id: UUID!) {\n  cancelJob(id: $id) {\n    id\n    status\n    finishedAt\n  }\n}": types.CancelJobDocument,
    "mutation CreateJob($input: CreateJobInput!) {\n  createJob(input: $input) {\n    created\n    job {\n      id\n      status\n      createdAt\n    }\n  }\n}": types.CreateJobDocument,
    "query Job($id: UUID!) {\n  job(id: $id) {\n    id\n    type\n    status\n    stage\n    progress\n    attempt\n    maxAttempts\n    lastErrorCode\n    lastErrorMessage\n    result\n    createdAt\n    finishedAt\n    events(orderBy: PRIMARY_KEY_ASC) {\n      nodes {\n        id\n        prevStatus\n        nextStatus\n        stage\n        progress\n        detail\n        ts\n      }\n    }\n  }\n}": types.JobDocument,
    "subscription JobProgress($id: UUID!) {\n  jobUpdated(id: $id) {\n    id\n    status\n    stage\n    progress\n    lastErrorCode\n    finishedAt\n  }\n}": types.JobProgressDocument,
    "query Jobs($first: Int = 20, $after: Cursor, $status: JobStatus) {\n  jobs(\n    first: $first\n    after: $after\n    orderBy: CREATED_AT_DESC\n    condition: {status: $status}\n  ) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    nodes {\n      id\n      type\n      status\n      stage\n      progress\n      attempt\n      createdAt\n    }\n  }\n}": types.JobsDocument,
    "mutation RetryJob($id: UUID!) {\n  retryJob(id: $id) {\n    id\n    status\n    attempt\n  }\n}": types.RetryJobDocument,
    "query Viewer {\n  viewer {\n    userId\n    orgId\n    role\n  }\n}": types.ViewerDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CancelJob($id: UUID!) {\n  cancelJob(id: $id) {\n    id\n    status\n    finishedAt\n  }\n}"): (typeof documents)["mutation CancelJob($id: UUID!) {\n  cancelJob(id: $id) {\n    id\n    status\n    finishedAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateJob($input: CreateJobInput!) {\n  createJob(input: $input) {\n    created\n    job {\n      id\n      status\n      createdAt\n    }\n  }\n}"): (typeof documents)["mutation CreateJob($input: CreateJobInput!) {\n  createJob(input: $input) {\n    created\n    job {\n      id\n      status\n      createdAt\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Job($id: UUID!) {\n  job(id: $id) {\n    id\n    type\n    status\n    stage\n    progress\n    attempt\n    maxAttempts\n    lastErrorCode\n    lastErrorMessage\n    result\n    createdAt\n    finishedAt\n    events(orderBy: PRIMARY_KEY_ASC) {\n      nodes {\n        id\n        prevStatus\n        nextStatus\n        stage\n        progress\n        detail\n        ts\n      }\n    }\n  }\n}"): (typeof documents)["query Job($id: UUID!) {\n  job(id: $id) {\n    id\n    type\n    status\n    stage\n    progress\n    attempt\n    maxAttempts\n    lastErrorCode\n    lastErrorMessage\n    result\n    createdAt\n    finishedAt\n    events(orderBy: PRIMARY_KEY_ASC) {\n      nodes {\n        id\n        prevStatus\n        nextStatus\n        stage\n        progress\n        detail\n        ts\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription JobProgress($id: UUID!) {\n  jobUpdated(id: $id) {\n    id\n    status\n    stage\n    progress\n    lastErrorCode\n    finishedAt\n  }\n}"): (typeof documents)["subscription JobProgress($id: UUID!) {\n  jobUpdated(id: $id) {\n    id\n    status\n    stage\n    progress\n    lastErrorCode\n    finishedAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Jobs($first: Int = 20, $after: Cursor, $status: JobStatus) {\n  jobs(\n    first: $first\n    after: $after\n    orderBy: CREATED_AT_DESC\n    condition: {status: $status}\n  ) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    nodes {\n      id\n      type\n      status\n      stage\n      progress\n      attempt\n      createdAt\n    }\n  }\n}"): (typeof documents)["query Jobs($first: Int = 20, $after: Cursor, $status: JobStatus) {\n  jobs(\n    first: $first\n    after: $after\n    orderBy: CREATED_AT_DESC\n    condition: {status: $status}\n  ) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    nodes {\n      id\n      type\n      status\n      stage\n      progress\n      attempt\n      createdAt\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RetryJob($id: UUID!) {\n  retryJob(id: $id) {\n    id\n    status\n    attempt\n  }\n}"): (typeof documents)["mutation RetryJob($id: UUID!) {\n  retryJob(id: $id) {\n    id\n    status\n    attempt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Viewer {\n  viewer {\n    userId\n    orgId\n    role\n  }\n}"): (typeof documents)["query Viewer {\n  viewer {\n    userId\n    orgId\n    role\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;