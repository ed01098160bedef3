import { EngineEventPairing, statusText } from './docker-backend';

describe('EngineEventPairing', () => {
  const kinds = (actions: string[], at = 0) => {
    const p = new EngineEventPairing();
    return actions.map((a) => p.next('c1', a, at)).filter(Boolean);
  };

  it('turns docker stop (kill, die, stop) into one stopped', () => {
    expect(kinds(['kill', 'die', 'stop'])).toEqual(['stopped']);
  });

  it('turns docker restart into stopped, started, restarted', () => {
    expect(kinds(['kill', 'die', 'stop', 'start', 'restart'])).toEqual(['stopped', 'started', 'restarted']);
  });

  it('reports a die without a kill as a death, and an OOM kill as one too', () => {
    expect(kinds(['die'])).toEqual(['died']);
    const p = new EngineEventPairing();
    expect([p.next('c1', 'oom'), p.next('c1', 'kill'), p.next('c1', 'die')]).toEqual([undefined, undefined, 'died']);
    expect(p.takeOom('c1')).toBe(true);
  });

  it('forgets a kill long past', () => {
    const p = new EngineEventPairing();
    p.next('c1', 'kill', 0);
    expect(p.next('c1', 'die', 120_000)).toBe('died');
  });
});

describe('statusText', () => {
  const now = Date.parse('2030-01-31T17:10:00Z');
  it('reads like docker ps', () => {
    expect(statusText({ Status: 'running', StartedAt: '2030-01-31T17:05:00Z' } as any, now)).toBe('Up 5 minutes');
    expect(statusText({ Status: 'exited', ExitCode: 3, FinishedAt: '2030-01-31T15:10:00Z' } as any, now)).toBe('Exited (3) 2 hours ago');
    expect(statusText({ Status: 'created' } as any, now)).toBe('Created');
    expect(statusText({ Status: 'running', StartedAt: '2030-01-31T17:09:50Z', Health: { Status: 'healthy' } } as any, now)).toBe('Up 10 seconds (healthy)');
  });
});
