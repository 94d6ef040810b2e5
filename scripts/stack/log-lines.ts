import { SECRET_FIELDS, SECRET_HEADERS } from '../../src/log/logger.js';

/**
 * How `npm start` prints the lines its processes write (LOG_FORMAT).
 * - `json`: each process's own line after its name, as it is in the log files: the signer's pino
 *   JSON, nginx's access log. For a pipe, a file or another program.
 * - `pretty`: one short line each, `time level process message field=value ...`, for a person.
 *
 * Hand-written rather than pino-pretty: the runner relays four kinds of line (the signer's pino
 * JSON, the demo app's bare JSON, nginx's access and error logs, redis-server's text) under one
 * process column, and prints a chosen few fields on one line. pino-pretty reads pino's JSON only
 * and prints every other field as JSON or on lines of their own, so the layout would be written
 * here all the same, on top of a dependency and its own transitive ones.
 */
export type LogFormat = 'json' | 'pretty';

/** `auto` is pretty on a terminal, JSON when the output is piped or redirected. */
export function chooseLogFormat(setting: 'auto' | LogFormat, isTTY: boolean): LogFormat {
  if (setting !== 'auto') return setting;
  return isTTY ? 'pretty' : 'json';
}

export interface LineFormatOptions {
  format: LogFormat;
  /** ANSI colours for the level and the process name. */
  color: boolean;
  /** The time of a line that carries none (nginx, the demo app); injectable for tests. */
  now?: () => Date;
}

const PINO_LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
// nginx's nine levels in the five columns the others use.
const NGINX_LEVELS: Record<string, string> = { notice: 'info', crit: 'fatal', alert: 'fatal', emerg: 'fatal' };
const LEVEL_COLORS: Record<string, string> = { trace: '90', debug: '90', info: '32', warn: '33', error: '31', fatal: '41;97' };
const PROCESS_COLORS: Record<string, string> = { nginx: '32', signer: '35', front: '35', upstream: '36', redis: '31' };

/** Fields every line has or that the columns already show. */
const NOT_SHOWN = new Set(['level', 'time', 'msg', 'message', 'service', 'pid', 'hostname', 'v']);
/** Masked at any depth, whatever the process: the signer's redaction already censors them, this is for any other JSON. */
const SECRET = new Set<string>([...SECRET_FIELDS, ...SECRET_HEADERS]);
const MAX_VALUE = 160;

// `$remote_addr [$time_local] "$request_method $uri $server_protocol" $status $body_bytes_sent $request_time "$http_user_agent" id=$request_id`
// (log_format tokengate, nginx/snippets/tokengate-http.conf.template).
const NGINX_ACCESS = /^(\S+) \[[^\]]*\] "(\S+) (\S+) [^"]*" (\d{3}) (\d+) ([\d.]+) "((?:[^"\\]|\\.)*)" id=(\S+)$/;
const NGINX_ERROR = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: (?:\*\d+ )?(.*)$/;

/** Builds the function that turns one line of process `name` into what `npm start` prints. */
export function createLineFormatter(opts: LineFormatOptions): (name: string, line: string) => string {
  const now = opts.now ?? (() => new Date());
  const paint = (code: string | undefined, text: string) => (opts.color && code !== undefined ? `\x1b[${code}m${text}\x1b[0m` : text);
  const processTag = (name: string) => paint(PROCESS_COLORS[name.replace(/-\d+$/, '')] ?? '0', name.padEnd(8));
  if (opts.format === 'json') return (name, line) => `${processTag(name)} | ${safeText(line)}`;

  return (name, line) => {
    const entry = parse(line);
    const level = entry.level === undefined ? ''.padEnd(5) : paint(LEVEL_COLORS[entry.level], entry.level.toUpperCase().padEnd(5));
    return `${clock(entry.time ?? now())} ${level} ${processTag(name)} ${safeText(entry.text)}`;
  };
}

/**
 * What may reach the terminal of a logged line. Its text is partly the client's (a path, a
 * username, nginx's `referrer:`), and the readable form decodes what JSON had escaped: a control
 * character (ESC, BEL, C1) would let a client move the cursor, retitle the window or write the
 * clipboard (OSC 52), so each is shown as `\xNN`. A `jwt=` query value (nginx's `request:` and
 * `referrer:`) is masked, as the signer's own lines mask credentials.
 */
export function safeText(text: string): string {
  return text
    .replace(/([?&]jwt=)[^&\s"]+/gi, '$1[redacted]')
    .replace(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

interface Entry {
  time?: Date;
  level?: string;
  text: string;
}

function parse(line: string): Entry {
  const json = jsonObject(line);
  if (json !== undefined) return fromJson(json);
  const access = NGINX_ACCESS.exec(line);
  if (access !== null) {
    const [, addr, method, uri, status, bytes, seconds, agent, id] = access as unknown as string[];
    const ms = Math.round(Number(seconds) * 1000);
    return { level: 'info', text: `${method} ${uri} ${status} ${ms}ms ${fields({ bytes: Number(bytes), addr, agent, id })}`.trimEnd() };
  }
  const error = NGINX_ERROR.exec(line);
  if (error !== null) return { level: NGINX_LEVELS[error[1]!] ?? error[1]!, text: error[2]! };
  return { text: line };
}

function jsonObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A pino line (or the demo app's bare JSON): its time, level and message, then the other fields. */
function fromJson(o: Record<string, unknown>): Entry {
  const time = typeof o.time === 'number' || typeof o.time === 'string' ? new Date(o.time) : undefined;
  const level = typeof o.level === 'number' ? PINO_LEVELS[o.level] : typeof o.level === 'string' ? o.level : undefined;
  const message = typeof o.msg === 'string' ? o.msg : typeof o.message === 'string' ? o.message : '';
  const rest = Object.fromEntries(Object.entries(o).filter(([k]) => !NOT_SHOWN.has(k)));
  // The signer's request line reads as one: `POST /login 200 126ms`.
  const { method, path, status, durationMs, requestId, ...others } = rest;
  const request = message === 'request' && typeof method === 'string' && typeof path === 'string' && status !== undefined;
  const head = request ? `${method} ${show(path)} ${show(status)}${typeof durationMs === 'number' ? ` ${Math.round(durationMs)}ms` : ''}` : message;
  // `id=`, as nginx's access line names it: one word to search for across the processes.
  const { requestId: _, ...notId } = rest;
  const tail = { ...(request ? others : notId), ...(requestId !== undefined ? { id: requestId } : {}) };
  return {
    ...(time !== undefined && !Number.isNaN(time.getTime()) ? { time } : {}),
    ...(level !== undefined ? { level } : {}),
    text: `${head} ${fields(tail)}`.trim(),
  };
}

/** `key=value` pairs; text with spaces or quotes is quoted, objects are compact JSON, credentials masked. */
function fields(o: Record<string, unknown>): string {
  return Object.entries(o)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${SECRET.has(k.toLowerCase()) ? '[redacted]' : show(k === 'err' ? errorText(v) : v)}`)
    .join(' ');
}

function show(v: unknown): string {
  let text: string;
  if (typeof v === 'string') text = v === '' || /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  else if (Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null)) text = v.length === 0 ? '[]' : v.map(String).join(',');
  else if (typeof v === 'object' && v !== null) text = JSON.stringify(v, (k, x: unknown) => (SECRET.has(k.toLowerCase()) ? '[redacted]' : x));
  else text = String(v);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}...` : text;
}

/** A serialised error (pino's `err`) as its message; its stack stays in the log file. */
function errorText(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const { type, message } = v as { type?: unknown; message?: unknown };
  return typeof message === 'string' ? (typeof type === 'string' && type !== 'Error' ? `${type}: ${message}` : message) : v;
}

/** `HH:MM:SS.mmm` in local time: a person at a terminal reads the wall clock. */
function clock(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}
