import { afterEach, describe, expect, it } from 'vitest';
import { findExecutable } from '../../scripts/stack/find-executable.js';
import { CI, http } from './harness.js';
import { cleanupRunners, spawnRunner, type Runner } from './runner-harness.js';

afterEach(cleanupRunners);

/** util-linux `script` gives the runner a pseudo-terminal; Debian always has it (bsdutils). */
function scriptAvailable(): boolean {
  if (findExecutable('script', '/usr/bin/script')) return true;
  if (CI) throw new Error('script (util-linux) is required under CI=true');
  console.warn('SKIPPING the terminal case of the log format suite: no script (util-linux) on PATH');
  return false;
}

/** The output as lines, without the terminal's carriage returns and colours. */
const plainLines = (r: Runner) =>
  r
    .output()
    .replace(/\r/g, '')
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n');

/** A readable line: `HH:MM:SS.mmm LEVEL process message`. */
const READABLE = /^\d\d:\d\d:\d\d\.\d{3} (?:INFO |WARN |ERROR|DEBUG|TRACE|FATAL| {5}) \S+ +\S/;

/** A login through the gateway, so there is a request line to read. */
async function logIn(r: Runner): Promise<void> {
  const res = await http(`http://127.0.0.1:${r.ports.gateway}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: 'wonderland' }),
  });
  expect(res.status).toBe(200);
}

// The embedded front: one Node process in front, whatever is installed; the formatting is the runner's.
describe("npm start's log lines", () => {
  it.skipIf(!scriptAvailable())('on a terminal: short readable lines, in colour, and no JSON', async () => {
    const runner = await spawnRunner({ FRONT: 'embedded' }, { tty: true });
    await runner.waitFor('tokengate is running');
    await logIn(runner);
    await runner.waitFor('authenticate status=200');
    const lines = plainLines(runner);
    expect(lines).toContainEqual(
      expect.stringMatching(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}front {4}embedded front listening host=127\.0\.0\.1 port=\d+ upstream=\S+$/),
    );
    // The demo app's bare JSON line about the login, at the time it arrived.
    expect(lines).toContainEqual(expect.stringMatching(/^\d\d:\d\d:\d\d\.\d{3} {7}upstream authenticate status=200 id=\S+$/));
    expect(lines.filter((l) => /"level":/.test(l))).toEqual([]);
    expect(runner.output()).toContain('\x1b[35mfront   \x1b[0m');
    // The password went to the app; no log line shows it, nor the token the login returned
    // (the banner's curl example names the demo password).
    expect(lines.filter((l) => READABLE.test(l) && /wonderland|eyJ/.test(l))).toEqual([]);

    // Ctrl-C on the terminal stops it all, as the banner says.
    runner.interrupt?.();
    expect(await runner.exited).toBe(0);
    // The terminal echoes the Ctrl-C as `^C` before the runner's first word.
    expect(plainLines(runner)).toEqual(expect.arrayContaining([expect.stringMatching(/stopping\.\.\.$/), 'stopped.']));
  });

  it("piped: each process's own JSON line after its name", async () => {
    const runner = await spawnRunner({ FRONT: 'embedded' });
    await runner.waitFor('tokengate is running');
    const relayed = plainLines(runner)
      .filter((l) => l.startsWith('front    | '))
      .map((l) => JSON.parse(l.slice('front    | '.length)) as Record<string, unknown>);
    expect(relayed).toContainEqual(expect.objectContaining({ level: 30, service: 'tokengate', msg: 'embedded front listening' }));
    expect(plainLines(runner).filter((l) => READABLE.test(l))).toEqual([]);
    expect(runner.output()).not.toContain('\x1b[');
  });

  it('LOG_FORMAT=pretty gives readable lines into a pipe too, without colour', async () => {
    const runner = await spawnRunner({ FRONT: 'embedded', LOG_FORMAT: 'pretty' });
    await runner.waitFor('tokengate is running');
    expect(plainLines(runner)).toContainEqual(expect.stringMatching(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}front {4}embedded front listening /));
    expect(runner.output()).not.toMatch(/"level":|\x1b\[/);
  });

  it('refuses a LOG_FORMAT it does not know, naming it (exit 2)', async () => {
    const runner = await spawnRunner({ FRONT: 'embedded', LOG_FORMAT: 'yaml' });
    expect(await runner.exited).toBe(2);
    expect(runner.output()).toContain('LOG_FORMAT');
  });
});
