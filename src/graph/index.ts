export {
  GraphClient,
  parseGraphError,
  type GraphClientDeps,
  type GraphResponse,
  type RequestOptions,
  type StreamResponse,
} from './client.js';
export {
  CLOUDS,
  resolveEndpoints,
  type CloudName,
  type GraphConfig,
  type GraphCredential,
  type ResolvedEndpoints,
} from './config.js';
export {
  AbortedError,
  AuthenticationError,
  DeltaResetError,
  GraphClientError,
  GraphError,
  MalformedResponseError,
  NetworkError,
  PagingLoopError,
  ThrottledError,
  UploadError,
  redact,
} from './errors.js';
export {
  GRAPH_LIMITS,
  ThrottleGovernor,
  backoffMs,
  parseRetryAfter,
  type GovernorOptions,
  type GovernorStats,
} from './governor.js';
export { classify, type RequestScope, type ScopeKind } from './scope.js';
export { collect, delta, isDeltaReset, isRemoved, items, pages, type Page } from './paging.js';
export { batch, BATCH_LIMIT, type BatchRequest, type BatchResponse } from './batch.js';
export { ContentChangedError, download, type DownloadOptions } from './download.js';
export {
  bufferSource,
  CHUNK_MULTIPLE,
  fileSource,
  MAX_CHUNK,
  uploadSession,
  type UploadSessionOptions,
  type UploadSource,
} from './upload.js';
export { systemClock, type Clock } from './clock.js';
export { SAFEHOLD_VERSION } from './version.js';
export {
  addListItemAttachment,
  deleteListItemAttachment,
  downloadSiteFile,
  listItemAttachments,
  sharePointTarget,
  type AttachmentFile,
} from './sharepoint.js';
