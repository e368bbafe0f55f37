import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A Glassbox of a test's own (the binary the other tests use, GLASSBOX_BIN) on its own
// data and port, for tests that change what the shared demo must keep (its log key, its
// people's passkeys) or that need another public address.
export const bin = process.env.GLASSBOX_BIN;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The environment of a Glassbox on `port` with its own data, reached at `host`. */
export function ownEnv(port: number, host: string, name: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GLASSBOX__HTTP__BIND: `127.0.0.1:${port}`,
    GLASSBOX__PUBLIC_URL: `http://${host}:${port}`,
    GLASSBOX__DATA_DIR: mkdtempSync(join(tmpdir(), `glassbox-${name}-`)),
    ...extra,
  };
}

/** A new service token for that Glassbox (made before it starts, on its data). */
export function serviceToken(env: NodeJS.ProcessEnv, name: string): string {
  return execFileSync(bin!, ['service-token', 'create', name], { env, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
}

/** Starts `glassbox demo` with `env` and waits until `url` answers /readyz. */
export async function start(env: NodeJS.ProcessEnv, url: string): Promise<ChildProcess> {
  const server = spawn(bin!, ['demo'], { env, stdio: 'ignore' });
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return server;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  server.kill('SIGKILL');
  throw new Error(`Glassbox did not start at ${url}`);
}

export async function stop(server: ChildProcess) {
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  await exited;
}
