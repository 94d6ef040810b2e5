import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { constants } from 'node:os';
import { EXIT } from '../../src/exit.js';

/**
 * `node nginx-guard.js [--remove-dir DIR] [--stop-signal SIG] -- PROGRAM ARGS...`: runs nginx (or
 * another server that is not Node, such as the private redis-server) and ends it when the stack
 * runner goes away. nginx cannot tell that its parent died (even a SIGKILLed runner would leave it
 * holding the gateway port); this guard, started with an IPC channel, gets `disconnect` instead.
 * With --remove-dir it removes nginx's temporary prefix once nginx has ended. --stop-signal is
 * what the program gets then (default SIGQUIT, nginx's graceful stop).
 */
const argv = process.argv.slice(2);
const options = argv.slice(0, Math.max(0, argv.indexOf('--')));
const option = (name: string) => (options.includes(name) ? options[options.indexOf(name) + 1] : undefined);
const removeDir = option('--remove-dir');
const stopSignal = (option('--stop-signal') ?? 'SIGQUIT') as NodeJS.Signals;
const [bin, ...args] = argv.slice(argv.indexOf('--') + 1);
if (!bin || !argv.includes('--')) {
  process.stderr.write('usage: nginx-guard [--remove-dir DIR] [--stop-signal SIG] -- PROGRAM ARGS...\n');
  process.exit(EXIT.usage);
}

const finish = (code: number) => {
  if (removeDir) rmSync(removeDir, { recursive: true, force: true });
  process.exit(code);
};

const nginx = spawn(bin, args, { stdio: 'inherit' });
nginx.once('error', (err) => {
  process.stderr.write(`nginx-guard: cannot run ${bin}: ${err.message}\n`);
  finish(127);
});
nginx.once('exit', (code, signal) => finish(code ?? 128 + (signal ? constants.signals[signal] : 0)));

// The runner signals the whole process group, so nginx gets each signal itself; the guard only waits.
for (const signal of ['SIGQUIT', 'SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => undefined);

if (process.connected) {
  process.once('disconnect', () => {
    nginx.kill(stopSignal);
    // Still there after the grace time: the group (this guard, the master, its workers) goes at once.
    setTimeout(() => {
      try {
        process.kill(-process.pid, 'SIGKILL');
      } catch {
        nginx.kill('SIGKILL');
      }
    }, 5_000).unref();
  });
}
