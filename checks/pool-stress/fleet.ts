/**
 * Fleet headroom: would the whole app fleet, every pool full, fit in what the server accepts?
 * Pure arithmetic on numbers read from config and from the server; no load needed.
 */

export interface PostgresCapacity {
  maxConnections: number;
  superuserReserved: number;
  /** reserved_connections (Postgres 16+), 0 before. */
  reserved: number;
  /** Client sessions open right now (excluding dbcheck's own). */
  currentConnections: number;
}

export interface PostgresFleet {
  instances: number;
  poolSize: number;
  /** Other clients (workers, cron jobs, admin tools); when unset, today's open sessions stand in. */
  otherClients?: number;
}

export interface Headroom {
  /** Connections the fleet would hold at full pools, plus other clients. */
  demand: number;
  /** Connections ordinary (non-superuser) clients can have. */
  capacity: number;
  /** capacity - demand: negative means the fleet would exhaust the server. */
  headroom: number;
  exceeds: boolean;
}

export function postgresHeadroom(
  server: PostgresCapacity,
  fleet: PostgresFleet,
): Headroom & { otherClients: number; otherClientsFrom: 'config' | 'current-sessions' } {
  const otherClientsFrom = fleet.otherClients === undefined ? 'current-sessions' : 'config';
  const otherClients = fleet.otherClients ?? server.currentConnections;
  const demand = fleet.instances * fleet.poolSize + otherClients;
  const capacity = Math.max(0, server.maxConnections - server.superuserReserved - server.reserved);
  return { demand, capacity, headroom: capacity - demand, exceeds: demand > capacity, otherClients, otherClientsFrom };
}

export interface RedisFleet {
  instances: number;
  connectionsPerInstance: number;
  otherClients?: number;
}

export function redisHeadroom(
  server: { maxClients: number; connectedClients: number },
  fleet: RedisFleet,
): Headroom & { otherClients: number; otherClientsFrom: 'config' | 'current-sessions' } {
  const otherClientsFrom = fleet.otherClients === undefined ? 'current-sessions' : 'config';
  const otherClients = fleet.otherClients ?? server.connectedClients;
  const demand = fleet.instances * fleet.connectionsPerInstance + otherClients;
  const capacity = server.maxClients;
  return { demand, capacity, headroom: capacity - demand, exceeds: demand > capacity, otherClients, otherClientsFrom };
}
