/**
 * The operator's services beside the contract (docs/operations.md): gRPC health and server
 * reflection. Served by routes.ts, callable without a bearer token
 * (auth/authentication-interceptor.ts). Imports nothing of the server's own, so both can
 * use it.
 */
import { Health } from "@runnerplane/api/grpc/health/v1/health_pb";
import { ServerReflection } from "@runnerplane/api/grpc/reflection/v1/reflection_pb";
import { ServerReflection as ServerReflectionV1alpha } from "@runnerplane/api/grpc/reflection/v1alpha/reflection_pb";

export const operationServices = [Health, ServerReflection, ServerReflectionV1alpha];
