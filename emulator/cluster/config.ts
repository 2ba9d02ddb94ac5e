/**
 * Cluster map JSON as Couchbase Server 6.x/7.x serves it: the terse bucket config (CCCP,
 * NOT_MY_VBUCKET bodies, `/pools/default/b/<b>`, streaming `/pools/default/bs/<b>`), the
 * full bucket info (`/pools/default/buckets/<b>`), and the cluster-level config (GCCCP).
 * libcouchbase pairs `serverList` entries with `nodesExt` by host and KV port
 * (lcbvb `pair_server_list`); the C++ core reads `nodesExt` in order, so both lists
 * share one order.
 */
export interface ConfigNode {
  id: number;
  kv: number;
  views: number;
}

export interface ConfigBucket {
  name: string;
  uuid: string;
  replicas: number;
  map: number[][];
  flushEnabled?: boolean;
  ramQuotaMB?: number;
}

export const HOST = '127.0.0.1';
export const VERSION = '7.0.2-6703-enterprise';

const BUCKET_CAPS = ['durableWrite', 'couchapi', 'cccp', 'nodesExt', 'dcp', 'cbhello', 'touch', 'xdcrCheckpointing'];

export function otpNode(n: ConfigNode): string {
  return `n_${n.id}@${HOST}`;
}

function nodesExt(nodes: ConfigNode[], restPort: number, thisNode?: number): unknown[] {
  return nodes.map((n) => {
    const o: Record<string, unknown> = {
      services: { mgmt: restPort, kv: n.kv, capi: n.views },
      hostname: HOST,
    };
    if (thisNode === n.id) o.thisNode = true;
    return o;
  });
}

function nodesList(nodes: ConfigNode[], restPort: number, bucket: string | undefined): unknown[] {
  return nodes.map((n) => {
    const o: Record<string, unknown> = {
      hostname: `${HOST}:${restPort}`,
      ports: { direct: n.kv },
    };
    if (bucket !== undefined) o.couchApiBase = `http://${HOST}:${n.views}/${encodeURIComponent(bucket)}`;
    return o;
  });
}

/** The terse bucket config (what CCCP and NOT_MY_VBUCKET carry). */
export function terseBucketConfig(rev: number, b: ConfigBucket, nodes: ConfigNode[], restPort: number, thisNode?: number): Record<string, unknown> {
  const index = new Map<number, number>();
  nodes.forEach((n, i) => index.set(n.id, i));
  const vBucketMap = b.map.map((row) => row.map((id) => (id >= 0 && index.has(id) ? index.get(id)! : -1)));
  return {
    rev,
    name: b.name,
    uri: `/pools/default/buckets/${encodeURIComponent(b.name)}?bucket_uuid=${b.uuid}`,
    streamingUri: `/pools/default/bucketsStreaming/${encodeURIComponent(b.name)}?bucket_uuid=${b.uuid}`,
    nodes: nodesList(nodes, restPort, b.name),
    nodesExt: nodesExt(nodes, restPort, thisNode),
    nodeLocator: 'vbucket',
    uuid: b.uuid,
    ddocs: { uri: `/pools/default/buckets/${encodeURIComponent(b.name)}/ddocs` },
    vBucketServerMap: {
      hashAlgorithm: 'CRC',
      numReplicas: b.replicas,
      serverList: nodes.map((n) => `${HOST}:${n.kv}`),
      vBucketMap,
    },
    bucketCapabilitiesVer: '',
    bucketCapabilities: BUCKET_CAPS,
    clusterCapabilitiesVer: [1, 0],
    clusterCapabilities: {},
  };
}

/** The cluster-level config served by GET_CLUSTER_CONFIG before a bucket is selected. */
export function clusterConfig(rev: number, nodes: ConfigNode[], restPort: number, thisNode?: number): Record<string, unknown> {
  return {
    rev,
    nodesExt: nodesExt(nodes, restPort, thisNode),
    clusterCapabilitiesVer: [1, 0],
    clusterCapabilities: {},
  };
}

export interface NodeStatus {
  node: ConfigNode;
  membership: 'active' | 'inactiveFailed' | 'inactiveAdded';
  healthy: boolean;
}

function nodeInfo(s: NodeStatus, restPort: number): Record<string, unknown> {
  return {
    hostname: `${HOST}:${restPort}`,
    ports: { direct: s.node.kv, distTCP: 21100, httpsMgmt: 18091, httpsCAPI: 18092 },
    couchApiBase: `http://${HOST}:${s.node.views}/`,
    clusterMembership: s.membership,
    recoveryType: 'none',
    status: s.healthy ? 'healthy' : 'unhealthy',
    otpNode: otpNode(s.node),
    thisNode: s.node.id === 0,
    services: ['kv'],
    version: VERSION,
    os: process.platform,
    nodeUUID: `node-${s.node.id}`,
  };
}

/** `/pools/default/buckets/<b>`: the full bucket info. */
export function fullBucketInfo(rev: number, b: ConfigBucket, nodes: ConfigNode[], statuses: NodeStatus[], restPort: number, itemCount: number): Record<string, unknown> {
  const terse = terseBucketConfig(rev, b, nodes, restPort);
  return {
    ...terse,
    bucketType: 'membase',
    authType: 'sasl',
    replicaNumber: b.replicas,
    replicaIndex: false,
    evictionPolicy: 'valueOnly',
    durabilityMinLevel: 'none',
    conflictResolutionType: 'seqno',
    maxTTL: 0,
    compressionMode: 'off',
    quota: { ram: (b.ramQuotaMB ?? 100) * 1048576, rawRAM: (b.ramQuotaMB ?? 100) * 1048576 },
    basicStats: { quotaPercentUsed: 0, opsPerSec: 0, diskFetches: 0, itemCount, diskUsed: 0, dataUsed: 0, memUsed: 0 },
    localRandomKeyUri: `/pools/default/buckets/${encodeURIComponent(b.name)}/localRandomKey`,
    controllers: {
      // As the cluster manager does, the flush controller is listed only when flush is enabled.
      ...(b.flushEnabled === false ? {} : { flush: `/pools/default/buckets/${encodeURIComponent(b.name)}/controller/doFlush` }),
      compactAll: `/pools/default/buckets/${encodeURIComponent(b.name)}/controller/compactBucket`,
    },
    nodes: statuses.filter((s) => nodes.some((n) => n.id === s.node.id)).map((s) => ({
      ...nodeInfo(s, restPort),
      couchApiBase: `http://${HOST}:${s.node.views}/${encodeURIComponent(b.name)}`,
    })),
  };
}

export function poolsInfo(uuid: string): Record<string, unknown> {
  return {
    isAdminCreds: true,
    isROAdminCreds: false,
    isEnterprise: true,
    allowedServices: ['kv'],
    isDeveloperPreview: false,
    packageVariant: 'emulator',
    pools: [{ name: 'default', uri: `/pools/default?uuid=${uuid}`, streamingUri: `/poolsStreaming/default?uuid=${uuid}` }],
    settings: { maxParallelIndexers: '/settings/maxParallelIndexers?uuid=' + uuid, viewUpdateDaemon: '/settings/viewUpdateDaemon?uuid=' + uuid },
    uuid,
    implementationVersion: VERSION,
    componentsVersion: { ns_server: VERSION },
  };
}

export function poolDefault(rev: number, uuid: string, statuses: NodeStatus[], restPort: number, nodes: ConfigNode[]): Record<string, unknown> {
  return {
    name: 'default',
    nodes: statuses.map((s) => nodeInfo(s, restPort)),
    nodesExt: nodesExt(nodes, restPort),
    buckets: { uri: `/pools/default/buckets?v=${rev}&uuid=${uuid}`, terseBucketsBase: '/pools/default/b/', terseStreamingBucketsBase: '/pools/default/bs/' },
    remoteClusters: { uri: '/pools/default/remoteClusters?uuid=' + uuid, validateURI: '/pools/default/remoteClusters?just_validate=1' },
    controllers: {
      addNode: { uri: '/controller/addNode?uuid=' + uuid },
      rebalance: { uri: '/controller/rebalance?uuid=' + uuid },
      failOver: { uri: '/controller/failOver?uuid=' + uuid },
      ejectNode: { uri: '/controller/ejectNode?uuid=' + uuid },
    },
    rebalanceStatus: 'none',
    rebalanceProgressUri: '/pools/default/rebalanceProgress',
    stopRebalanceUri: '/controller/stopRebalance?uuid=' + uuid,
    balanced: true,
    clusterName: 'couchbase-rx-emulator',
    rev,
    clusterCapabilitiesVer: [1, 0],
    clusterCapabilities: {},
  };
}
