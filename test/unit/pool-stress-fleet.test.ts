import { describe, it, expect } from 'vitest';
import { postgresHeadroom, redisHeadroom } from '../../checks/pool-stress/fleet.js';

describe('fleet headroom', () => {
  const server = { maxConnections: 100, superuserReserved: 3, reserved: 2, currentConnections: 12 };

  it('subtracts reserved connections from max_connections', () => {
    const h = postgresHeadroom(server, { instances: 9, poolSize: 10, otherClients: 5 });
    expect(h).toMatchObject({ demand: 95, capacity: 95, headroom: 0, exceeds: false, otherClientsFrom: 'config' });
    expect(postgresHeadroom(server, { instances: 9, poolSize: 10, otherClients: 6 }).exceeds).toBe(true);
  });

  it("counts today's sessions as the other clients when none are configured", () => {
    const h = postgresHeadroom(server, { instances: 8, poolSize: 10 });
    expect(h).toMatchObject({ demand: 92, otherClients: 12, otherClientsFrom: 'current-sessions', exceeds: false });
  });

  it('judges Redis against maxclients', () => {
    expect(
      redisHeadroom({ maxClients: 10_000, connectedClients: 3 }, { instances: 100, connectionsPerInstance: 100, otherClients: 1 }),
    ).toMatchObject({ demand: 10_001, capacity: 10_000, headroom: -1, exceeds: true });
  });
});
