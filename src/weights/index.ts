/**
 * The weights layer: moves bytes and names, knows nothing of models or GPUs. Everything here is
 * safe for browser bundles; the Node-only pieces are imported from their own modules:
 * `node-file-source.ts` (openFileSource) and `node-store.ts` (NodeStore, defaultCacheDir).
 *
 * Reading:  a ByteSource (memory, Blob, file, HTTP, cache) → openWeights → tensors by name →
 *           streamTensors(source, entries, onChunk) in bounded reads.
 * Fetching: loadHubWeights / loadUrlFile / loadHubJson put a WeightsStore in front of the Hub or
 *           any URL: cache hit with no request, else a resumable verified download (or streaming).
 */
export { WeightsError, isAbortError, type WeightsErrorCode, type WeightsErrorDetails } from './errors.ts';
export { DTYPE_BYTES, elementCount, isDType, type DType, type TensorEntry, type WeightsIndex } from './tensor-entry.ts';
export { blobSource, bytesSource, checkReadRange, countingSource, type ByteSource } from './source.ts';
export {
  headerLength, MAX_HEADER_BYTES, openSafetensors, parseHeader, SafetensorsFile, toFloat32, toInt32, writeSafetensors,
  type HostTensor, type OpenedSafetensors, type SafetensorsHeader, type TensorToWrite,
} from './safetensors.ts';
export { openTorchZip, readTorchPickle, STATE_DICT_KEYS, type OpenedTorchZip, type TorchZipOptions } from './torch-zip.ts';
export { openWeights, type OpenedWeights } from './open-weights.ts';
export { planReads, streamTensors, DEFAULT_MAX_CHUNK_BYTES, type ChunkHandler, type StreamOptions } from './stream.ts';
export { Sha256, isSha256Hex } from './sha256.ts';
export { httpRequest, type HttpOptions } from './http.ts';
export { httpSource, probeUrl, type RemoteFile } from './http-source.ts';
export {
  DEFAULT_HUB_URL, fetchHubJson, findHubWeights, hubFileUrl, resolveHubFile, WEIGHT_FILE_NAMES,
  type HubFile, type HubLocation, type WeightsQuery,
} from './hub.ts';
export { entryId, isQuotaError, type CachedFile, type CacheMeta, type PartialFile, type RemoteVersion, type WeightsStore } from './cache.ts';
export { downloadToStore, type DownloadOptions, type DownloadProgress } from './download.ts';
export { MemoryStore } from './memory-store.ts';
export { openOpfsStore, opfsAvailable, OpfsStore } from './opfs-store.ts';
export { openIdbStore, IdbStore } from './idb-store.ts';
export { cacheKey, loadHubJson, loadHubWeights, loadUrlFile, type HubModelOptions, type LoadedFile, type RemoteLoadOptions } from './remote-files.ts';
