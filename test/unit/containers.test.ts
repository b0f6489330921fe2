// Where the tests and `demo --docker` get Kafka and ClickHouse (issue 22): through testcontainers
// when a Docker engine answers, else from the local runners. The choice, with probes standing in
// for the environment, the socket file and the engine's answer.
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DockerProbe, findDocker, ping } from '../../deploy/containers.js';

const probe = (env: NodeJS.ProcessEnv, socket: boolean, answering: string[]): DockerProbe & { pinged: string[] } => {
  const pinged: string[] = [];
  return { env, exists: (f) => socket && f === '/var/run/docker.sock', ping: async (h) => { pinged.push(h); return answering.includes(h); }, pinged };
};

describe('choosing containers or the local runners', () => {
  it('uses DOCKER_HOST first, else the default socket, and only an engine that answers', async () => {
    expect(await findDocker(probe({ DOCKER_HOST: 'tcp://10.0.0.5:2375' }, true, ['tcp://10.0.0.5:2375']))).toEqual({ host: 'tcp://10.0.0.5:2375' });
    expect(await findDocker(probe({}, true, ['unix:///var/run/docker.sock']))).toEqual({ host: 'unix:///var/run/docker.sock' });
    const dead = probe({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }, true, ['unix:///var/run/docker.sock']);
    expect(await findDocker(dead)).toEqual({ reason: 'the Docker engine at unix:///run/user/1000/docker.sock does not answer' });
    expect(dead.pinged).toEqual(['unix:///run/user/1000/docker.sock']);
  });

  it('falls back to the local runners without an engine, or when told to', async () => {
    const none = probe({}, false, []);
    expect(await findDocker(none)).toEqual({ reason: 'no DOCKER_HOST and no /var/run/docker.sock' });
    expect(none.pinged).toEqual([]);
    expect(await findDocker(probe({ TRENDSTREAM_DOCKER: '0' }, true, ['unix:///var/run/docker.sock']))).toEqual({ reason: 'TRENDSTREAM_DOCKER=0' });
    expect(await findDocker(probe({ DOCKER_HOST: 'ssh://me@box' }, false, []))).toEqual({ reason: 'DOCKER_HOST ssh://me@box: only unix:// and tcp:// are checked' });
  });

  it('pings an engine over a unix socket: true for 200 on /_ping, false for another answer or none', async () => {
    const sock = path.join(mkdtempSync(path.join(os.tmpdir(), 'docker-ping-')), 'docker.sock');
    let status = 200;
    const paths: string[] = [];
    const server = http.createServer((req, res) => { paths.push(req.url!); res.writeHead(status).end('OK'); });
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      expect(await ping(`unix://${sock}`)).toBe(true);
      status = 500;
      expect(await ping(`unix://${sock}`)).toBe(false);
      expect(paths).toEqual(['/_ping', '/_ping']);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    expect(await ping(`unix://${sock}`)).toBe(false);
  });
});
