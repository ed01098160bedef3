import { existsSync } from 'node:fs';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { join, resolve } from 'node:path';
import { GRPC_SERVICES, GrpcServiceName } from './generated';

/**
 * Where the .proto tree lives at run time. From source (libs/contracts/src) and from the build
 * (dist/libs/contracts/src, with proto/ copied to dist/proto) it is three levels up; images may
 * set PROTO_DIR.
 */
export function protoRoot(): string {
  if (process.env.PROTO_DIR) return resolve(process.env.PROTO_DIR);
  const candidate = resolve(__dirname, '../../../proto');
  return existsSync(candidate) ? candidate : resolve(__dirname, '../../../../proto');
}

/** The absolute proto file of one app's gRPC API, e.g. protoFile('security'). */
export function protoFile(app: GrpcServiceName): string {
  return join(protoRoot(), GRPC_SERVICES[app].protoFile);
}

/** proto-loader options that match the ts-proto generation options (stringEnums, forceLong=string). */
export const PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
  includeDirs: [] as string[],
};

const packageDefinitions = new Map<GrpcServiceName, PackageDefinition>();

/**
 * One app's gRPC API loaded with PROTO_LOADER_OPTIONS, once per process: its server, every client
 * of it (api-gateway's tasks and schedules routes both call task-manager) and tests share it, where
 * each load would parse the files and build the descriptors again (~10 ms of a start, issue 16).
 */
export function protoPackageDefinition(app: GrpcServiceName): PackageDefinition {
  let definition = packageDefinitions.get(app);
  if (!definition) packageDefinitions.set(app, (definition = loadSync(protoFile(app), { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] })));
  return definition;
}
