export { Repository, type InitOptions, type KeyInfo, type OpenOptions } from './repository.js';
export { WriteSession, type SessionStats } from './session.js';
export { ObjectReader } from './reader.js';
export {
  checkRepository,
  type AffectedManifest,
  type CheckOptions,
  type CheckProblem,
  type CheckReport,
} from './check.js';
export { pruneRepository, type PruneOptions, type PruneReport } from './prune.js';
export { repositoryStats, type RepositoryStats } from './stats.js';
export { isObjectRef, type MimeSegmentRef, type ObjectRef } from './objects.js';
export type { Manifest } from './manifest.js';
export type { RepoConfig } from './config.js';
export { BLOB_DATA, BLOB_TREE, type BlobType } from './blob.js';
export {
  IntegrityError,
  MissingBlobError,
  NotARepositoryError,
  RepositoryError,
  RepositoryExistsError,
  WrongPassphraseError,
} from './errors.js';
export * from './store/index.js';
