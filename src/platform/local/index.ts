export { createLocalPlatform, LocalPlatform, type LocalPlatformOptions } from "./client.js";
export { type EdgeFile, findProjectDir, readEdgeFile, runEdgeForeground, startEdgeDaemon, stopEdge } from "./daemon.js";
export { Edge, type EdgeOptions, type EdgeStatus, VERSION_HEADER, WORKER_PATH_PREFIX } from "./edge.js";
