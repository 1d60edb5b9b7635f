export * from './driver.js';
export { FATAL_REMOTE_CODES, isFatalRemoteError } from './errors.js';
export {
  openRemote,
  remoteKind,
  type OpenRemoteOptions,
  type OsdfCmfSettings,
  type RemoteConfig,
} from './factory.js';
export { remotePresent } from './status.js';
export {
  partialResult,
  pullObjects,
  pushObjects,
  type PullEngineOptions,
  type PushEngineOptions,
  type TransferEngineOptions,
  type TransferFailure,
  type TransferProgress,
  type TransferResult,
} from './transfer.js';
