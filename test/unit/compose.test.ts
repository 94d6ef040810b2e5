import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, posix, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Ajv } from 'ajv';
import { z } from 'zod';
import { ENTRY, MAIN_CONF, NGINX_DIR, ROOT, STOCK_SNIPPETS, TEMPLATE } from '../../scripts/stack/paths.js';
import { parseConfig } from '../../src/config/load.js';
import { replicationOf } from '../../src/config/redis-settings.js';
import { variables } from '../../src/config/variables.js';
import { exampleConfig } from '../../upstream-example/config.js';

// There is no Docker engine in CI, so these tests read docker-compose.yml, the Dockerfiles and
// .dockerignore as Docker would, and check them against the repository and the code they run.

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

const GLOB_TOKEN = /\*\*\/|\*\*|\*|\?|[.+^$(){}|[\]\\]/g;
const GLOB_MEANING: Record<string, string> = { '**/': '(?:.*/)?', '**': '.*', '*': '[^/]*', '?': '[^/]' };

/** A glob as .dockerignore and .gitignore write them; a match also covers everything beneath. */
const globToRegExp = (pattern: string) => new RegExp(`^${pattern.replace(GLOB_TOKEN, (t) => GLOB_MEANING[t] ?? `\\${t}`)}(?:/.*)?$`);

/** An ignore file's verdict on a path: the last matching rule wins, `!` re-includes. */
function ignoreRules(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => ({ negate: line.startsWith('!'), re: globToRegExp(line.replace(/^!/, '').replace(/^\/+|\/+$/g, '')) }));
  return (path) => rules.reduce((ignored, rule) => (rule.re.test(path) ? !rule.negate : ignored), false);
}

// --- docker-compose.yml ---------------------------------------------------------------------

/** Compose interpolates `$` in every value; `$$` is a literal `$`. Anything else is recorded. */
const interpolated: string[] = [];
function unescapeDollars(node: unknown): unknown {
  if (typeof node === 'string') {
    if (node.replace(/\$\$/g, '').includes('$')) interpolated.push(node);
    return node.replace(/\$\$/g, '$');
  }
  if (Array.isArray(node)) return node.map(unescapeDollars);
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, unescapeDollars(v)]));
  return node;
}

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const service = z.looseObject({
  image: z.string().optional(),
  build: z
    .union([
      z.string().transform((context) => ({ context, dockerfile: 'Dockerfile' })),
      z.object({ context: z.string(), dockerfile: z.string().default('Dockerfile') }),
    ])
    .optional(),
  ports: z.array(z.unknown()).optional(),
  network_mode: z.string().optional(),
  volumes: z.array(z.string()).default([]),
  environment: z
    .union([
      z.record(z.string(), scalar),
      z.array(z.string()).transform((l) => Object.fromEntries(l.map((e) => [e.split('=')[0], e.slice(e.indexOf('=') + 1)]))),
    ])
    .default({}),
  depends_on: z.record(z.string(), z.object({ condition: z.string() })).default({}),
  secrets: z
    .array(z.union([z.string().transform((source) => ({ source, target: source })), z.object({ source: z.string(), target: z.string().optional() })]))
    .default([]),
  healthcheck: z.looseObject({ disable: z.boolean().optional() }).optional(),
  command: z.unknown().optional(),
  entrypoint: z.unknown().optional(),
});
const composeFile = z.object({
  services: z.record(z.string(), service),
  secrets: z.record(z.string(), z.looseObject({ file: z.string().optional() })).default({}),
});
const compose = composeFile.parse(unescapeDollars(parse(read('docker-compose.yml'))));
const svc = (name: string) => compose.services[name] ?? expect.unreachable(`no service ${name}`);
const nginx = svc('nginx');

/** `./host:/container[:ro]` → absolute host path (symlinks resolved), container path, options. */
const mounts = (volumes: string[]) =>
  volumes.map((v) => {
    const [host = '', target = '', options = ''] = v.split(':');
    return {
      host: existsSync(resolve(ROOT, host)) ? realpathSync(resolve(ROOT, host)) : resolve(ROOT, host),
      target,
      readOnly: options.split(',').includes('ro'),
    };
  });

// --- Dockerfiles -----------------------------------------------------------------------------

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  body: Instruction[];
}

function stages(text: string): Stage[] {
  const lines = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\[ \t]*\r?\n/g, ' ')
    .split('\n');
  const result: Stage[] = [];
  for (const line of lines.map((l) => l.trim()).filter(Boolean)) {
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === 'FROM') {
      const [from = '', , name] = args.split(/\s+/);
      result.push({ from, ...(name ? { name } : {}), body: [] });
    } else result.at(-1)?.body.push({ op: op.toUpperCase(), args });
  }
  return result;
}

const words = (args: string) => args.split(/\s+/).filter(Boolean);
const flags = (args: string) => words(args).filter((w) => w.startsWith('--'));
const execForm = (args: string) => z.array(z.string()).parse(JSON.parse(args.replace(/^(--\S+\s+)*(CMD\s+)?/, '')));
const envOf = (stage: Stage) =>
  Object.fromEntries(
    stage.body.filter((i) => i.op === 'ENV').flatMap((i) => [...i.args.matchAll(/(\w+)=("[^"]*"|\S+)/g)].map((m) => [m[1]!, m[2]!.replace(/^"|"$/g, '')])),
  );

/** COPY sources from the build context, each with where it lands (WORKDIR applied). */
function contextCopies(stage: Stage): { sources: string[]; dest: string }[] {
  let workdir = '/';
  const copies: { sources: string[]; dest: string }[] = [];
  for (const { op, args } of stage.body) {
    if (op === 'WORKDIR') workdir = posix.resolve(workdir, args);
    if ((op !== 'COPY' && op !== 'ADD') || flags(args).some((f) => f.startsWith('--from'))) continue;
    const paths = words(args).filter((w) => !w.startsWith('--'));
    copies.push({ sources: paths.slice(0, -1), dest: posix.resolve(workdir, paths.at(-1) ?? '') });
  }
  return copies;
}

function tsFilesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .map((f) => posix.join(dir, f.split('\\').join('/')))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && statSync(join(ROOT, f)).isFile());
}

const dockerignored = ignoreRules(read('.dockerignore'));

const images = [
  { service: 'signer', entry: ENTRY.signer },
  { service: 'upstream', entry: ENTRY.upstream },
] as const;

function image(name: string) {
  const build = svc(name).build ?? expect.unreachable(`${name} has no build`);
  const dockerfile = posix.join(build.context, build.dockerfile);
  const all = stages(read(dockerfile));
  const final = all.at(-1) ?? expect.unreachable(`${dockerfile} has no FROM`);
  return { build, dockerfile, stages: all, final, env: { ...envOf(final), ...svc(name).environment } };
}

describe('docker-compose.yml', () => {
  it('uses no host-environment interpolation: every literal $ is written $$', () => {
    expect(interpolated).toEqual([]);
  });

  it('publishes a port from nginx only, loopback-bound, onto the port nginx listens on', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      expect(s.network_mode, name).not.toBe('host');
      if (name !== 'nginx') expect(s.ports ?? [], name).toEqual([]);
    }
    expect(nginx.ports).toEqual([`127.0.0.1:8080:${nginx.environment.GATEWAY_PORT}`]);
    expect(nginx.environment.GATEWAY_HOST).toBe('0.0.0.0');
  });

  it('mounts exactly the nginx.conf, template and snippets that npm start and the tests run, read-only', () => {
    const templateDir = nginx.environment.NGINX_ENVSUBST_TEMPLATE_DIR ?? '/etc/nginx/templates';
    // A snippet with variables is rendered by the image like the template; the others go where nginx reads them.
    const snippetMounts = STOCK_SNIPPETS.map((file) => ({
      host: realpathSync(join(NGINX_DIR, file)),
      target: file.endsWith('.template') ? posix.join(templateDir, file) : posix.join('/etc/nginx', file),
      readOnly: true,
    }));
    expect(mounts(nginx.volumes)).toEqual([
      { host: realpathSync(MAIN_CONF), target: '/etc/nginx/nginx.conf', readOnly: true },
      { host: realpathSync(TEMPLATE), target: posix.join(templateDir, 'tokengate.conf.template'), readOnly: true },
      ...snippetMounts,
    ]);
  });

  /** Where a mounted file is in the running container: a template rendered to the output dir, any other file where it is mounted. */
  const inContainer = (target: string) => {
    const env = nginx.environment;
    const templateDir = env.NGINX_ENVSUBST_TEMPLATE_DIR ?? '/etc/nginx/templates';
    const suffix = env.NGINX_ENVSUBST_TEMPLATE_SUFFIX ?? '.template';
    if (!target.startsWith(`${templateDir}/`) || !target.endsWith(suffix)) return target;
    return posix.join(env.NGINX_ENVSUBST_OUTPUT_DIR ?? '/etc/nginx/conf.d', posix.relative(templateDir, target).slice(0, -suffix.length));
  };

  it('renders the template to the file nginx.conf includes', () => {
    const target = mounts(nginx.volumes).find((m) => m.host === realpathSync(TEMPLATE))?.target ?? '';
    expect(inContainer(target)).not.toBe(target);
    // The image's nginx is built with --conf-path=/etc/nginx/nginx.conf: includes resolve from /etc/nginx.
    const includes = [...read('nginx/nginx.conf').matchAll(/^\s*include\s+([^;\s]+)\s*;/gm)].map((m) => posix.resolve('/etc/nginx', m[1]!));
    expect(includes).toContain(inContainer(target));
  });

  it('has every file the template and its snippets include, where they include it', () => {
    const present = new Set(mounts(nginx.volumes).map((m) => inContainer(m.target)));
    const files = [TEMPLATE, ...STOCK_SNIPPETS.map((f) => join(NGINX_DIR, f))];
    const includes = files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/^\s*include\s+([^;\s]+)\s*;/gm)].map((m) => m[1]!));
    expect(includes.length).toBeGreaterThan(3);
    for (const include of includes) {
      // tokengate-claims*.conf is a glob: without CLAIM_HEADERS nothing matches, as nginx allows.
      if (include.includes('*')) continue;
      expect(present.has(posix.resolve('/etc/nginx', include)), include).toBe(true);
    }
  });

  it('leaves `daemon` and the command to the image, so its entrypoint renders the template', () => {
    expect(read('nginx/nginx.conf')).not.toMatch(/^\s*daemon\s/m);
    expect(nginx.command).toBeUndefined();
    expect(nginx.entrypoint).toBeUndefined();
  });

  it('gives every ${VAR} of the template and its snippets a value, and lets the envsubst filter match those only', () => {
    const template = [TEMPLATE, ...STOCK_SNIPPETS.map((f) => join(NGINX_DIR, f))].map((f) => readFileSync(f, 'utf8')).join('\n');
    const vars = new Set([...template.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!));
    expect(vars.size).toBeGreaterThan(0);
    const filterText = nginx.environment.NGINX_ENVSUBST_FILTER ?? '';
    // A plain anchored alternation of names reads the same in awk's ERE (the image) and here.
    expect(filterText).toMatch(/^\^\((?:[A-Z0-9_]+\|)*[A-Z0-9_]+\)\$$/);
    const filter = new RegExp(filterText);
    for (const v of vars) {
      expect(nginx.environment[v], v).toMatch(/\S/);
      expect(filter.test(v), v).toBe(true);
    }
    for (const name of [...Object.keys(nginx.environment), 'PATH', 'HOME', 'HOSTNAME', 'NGINX_VERSION', 'NJS_VERSION', 'PKG_RELEASE']) {
      expect(filter.test(name), name).toBe(vars.has(name));
    }
  });

  it('points nginx and the signer at the addresses the services listen on', () => {
    const signer = parseConfig(image('signer').env);
    const upstream = exampleConfig.parse(image('upstream').env);
    if (!signer.ok) expect.unreachable(JSON.stringify(signer.problems));
    expect([signer.config.SIGNER_HOST, upstream.EXAMPLE_HOST]).toEqual(['0.0.0.0', '0.0.0.0']);
    expect(nginx.environment.SIGNER_ADDR).toBe(`signer:${signer.config.SIGNER_PORT}`);
    expect(nginx.environment.UPSTREAM_ADDR).toBe(`upstream:${upstream.EXAMPLE_PORT}`);
    expect(signer.config.AUTHENTICATE_URL).toBe(`http://upstream:${upstream.EXAMPLE_PORT}/authenticate`);
  });

  it('gives the signer the origin browsers reach nginx at, so redirects and form checks match it', () => {
    const signer = parseConfig(image('signer').env);
    if (!signer.ok) expect.unreachable(JSON.stringify(signer.problems));
    const [host, port] = (nginx.ports as string[])[0]!.split(':');
    expect(signer.config.PUBLIC_ORIGIN).toBe(`http://${host}:${port}`);
  });

  it('sets only variables the services read', () => {
    for (const name of Object.keys(svc('signer').environment)) expect(Object.keys(variables), name).toContain(name);
    for (const name of Object.keys(svc('upstream').environment)) expect(Object.keys(exampleConfig.shape), name).toContain(name);
  });

  it('starts nginx only once the signer and the upstream are healthy', () => {
    expect(nginx.depends_on).toEqual({ signer: { condition: 'service_healthy' }, upstream: { condition: 'service_healthy' } });
    for (const name of ['signer', 'upstream']) {
      expect(svc(name).healthcheck?.disable, name).not.toBe(true);
      expect(image(name).final.body.some((i) => i.op === 'HEALTHCHECK') || svc(name).healthcheck !== undefined, name).toBe(true);
    }
  });

  it('points USERS_FILE at the users.json the upstream image copies', () => {
    const { final, env } = image('upstream');
    expect(contextCopies(final).find((c) => c.sources.includes('upstream-example/users.json'))?.dest).toBe(env.USERS_FILE);
  });

  it('hands the signer its secret as a Docker secret from secrets/, never as a value', () => {
    expect(compose.secrets.jwt_secret?.file).toBe('./secrets/jwt-secret');
    const mount = svc('signer').secrets.find((s) => s.source === 'jwt_secret') ?? expect.unreachable('signer lacks jwt_secret');
    expect(image('signer').env.JWT_SECRET_FILE).toBe(posix.resolve('/run/secrets', mount.target ?? mount.source));
    for (const [name, s] of Object.entries(compose.services)) {
      expect(s.environment.JWT_SECRET, name).toBeUndefined();
      if (name !== 'signer') expect(s.secrets, name).toEqual([]);
    }
  });

  it('keeps the secret file out of git: secrets/.gitignore ignores it and keeps its README', () => {
    const ignored = ignoreRules(read('secrets/.gitignore'));
    expect([ignored('jwt-secret'), ignored('README.md'), ignored('.gitignore')]).toEqual([true, false, false]);
  });

  it('keeps the secret, host installs and builds, git and test output out of every image', () => {
    for (const path of [
      'secrets/jwt-secret',
      'node_modules/zod/package.json',
      'dist/src/index.js',
      '.git/HEAD',
      'coverage/index.html',
      '.run/nginx.pid',
      'test/fixtures/tokens.ts',
    ]) {
      expect(dockerignored(path), path).toBe(true);
    }
  });
});

describe.each(images)('the $service image', ({ service: name, entry }) => {
  const { build, dockerfile, stages: all, final } = image(name);

  it('builds from a context and a Dockerfile that exist', () => {
    expect(statSync(join(ROOT, build.context)).isDirectory()).toBe(true);
    expect(existsSync(join(ROOT, dockerfile))).toBe(true);
  });

  it('builds every stage on the same Node LTS Debian slim image', () => {
    const bases = all.map((s) => s.from).filter((from) => !all.some((s) => s.name === from));
    expect(new Set(bases).size).toBe(1);
    const [, major] = /^node:(\d+)(?:\.\d+)*-(?:[a-z]+-)?slim$/.exec(bases[0] ?? '') ?? [];
    expect(Number(major) % 2 === 0 && Number(major) >= 24, bases[0]).toBe(true);
    expect(all.length).toBeGreaterThan(1);
  });

  it('compiles in a build stage and ships production dependencies only, in production mode', () => {
    const compiles = (args: string) => /\bnpm run build\b|\btsc -p tsconfig\.build\.json\b/.test(args);
    expect(all.slice(0, -1).some((s) => s.body.some((i) => i.op === 'RUN' && compiles(i.args)))).toBe(true);
    // `npm run build` also makes dist/src/cli/main.js executable: a stage without all of src/ has no such file.
    for (const stage of all.filter((s) => s.body.some((i) => i.op === 'RUN' && /\bnpm run build\b/.test(i.args)))) {
      expect(
        stage.body.some((i) => i.op === 'COPY' && /^src\s/.test(i.args)),
        `${dockerfile} runs npm run build without copying src/`,
      ).toBe(true);
    }
    expect(final.body.some((i) => i.op === 'RUN' && /\bnpm ci\b.*--omit=dev/.test(i.args))).toBe(true);
    expect(final.body.some((i) => i.op === 'COPY' && flags(i.args).some((f) => /^--from=/.test(f)) && /\/dist\b/.test(i.args))).toBe(true);
    expect(envOf(final).NODE_ENV).toBe('production');
  });

  it('runs as a non-root user', () => {
    const user = final.body.filter((i) => i.op === 'USER').at(-1)?.args ?? 'root';
    expect(user.split(':')[0]).not.toMatch(/^(root|0)$/);
  });

  it('starts the same built entry point as npm start', () => {
    const cmd = execForm(final.body.filter((i) => i.op === 'CMD').at(-1)?.args ?? '[]');
    expect(cmd).toEqual(['node', relative(ROOT, entry).split('\\').join('/')]);
  });

  it('probes its health with node, as slim images have no curl', () => {
    const check = final.body.filter((i) => i.op === 'HEALTHCHECK').at(-1)?.args ?? '';
    expect(execForm(check)[0]).toBe('node');
  });

  it('copies only sources that exist and that .dockerignore lets through', () => {
    const sources = all.flatMap(contextCopies).flatMap((c) => c.sources);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      const path = posix.join(build.context, source);
      expect(existsSync(join(ROOT, path)), path).toBe(true);
      const files = statSync(join(ROOT, path)).isDirectory() ? tsFilesUnder(path) : [path];
      for (const file of [path, ...files]) expect(dockerignored(file), file).toBe(false);
    }
  });

  /** What the build stage copies to compile (folders, or single `.ts` files such as the page shell), and the `.ts` files in it; read when a test runs, after the check that each exists. */
  const compiledSources = () =>
    all
      .slice(0, -1)
      .flatMap(contextCopies)
      .flatMap((c) => c.sources)
      .filter((s) => s.endsWith('.ts') || statSync(join(ROOT, s)).isDirectory());
  const compiledFiles = () => compiledSources().flatMap((s) => (s.endsWith('.ts') ? [s] : tsFilesUnder(s)));

  it('compiles code that imports nothing outside what the build stage copies (folders, or single files such as the page shell)', () => {
    const copied = compiledSources();
    // An import names the compiled `.js`; the build stage copies the `.ts` it comes from.
    const inside = (file: string) => copied.some((source) => source === file.replace(/\.js$/, '.ts') || !posix.relative(source, file).startsWith('..'));
    for (const file of compiledFiles()) {
      for (const [, spec] of readFileSync(join(ROOT, file), 'utf8').matchAll(/from\s+'(\.[^']+)'/g)) {
        expect(inside(posix.join(posix.dirname(file), spec!)), `${file} imports ${spec}`).toBe(true);
      }
    }
  });

  it('ships the compiled form of everything the build stage compiles (the runtime imports it)', () => {
    const compiled = compiledFiles().map((f) => `/app/dist/${f.replace(/\.ts$/, '.js')}`);
    const shipped = final.body
      .filter((i) => i.op === 'COPY' && flags(i.args).includes('--from=build'))
      .flatMap((i) =>
        words(i.args)
          .filter((w) => !w.startsWith('--'))
          .slice(0, -1),
      );
    expect(compiled.length).toBeGreaterThan(0);
    expect(compiled.filter((f) => !shipped.some((source) => f === source || f.startsWith(`${source}/`)))).toEqual([]);
  });
});

// --- docker-compose.redis.yml: several signers sharing one Redis ------------------------------

describe('docker-compose.redis.yml, on top of docker-compose.yml', () => {
  const overlayFile = z.object({
    services: z.record(
      z.string(),
      service.extend({
        deploy: z.looseObject({ replicas: z.number().optional() }).optional(),
        user: z.string().optional(),
        container_name: z.string().optional(),
        networks: z.array(z.string()).optional(),
      }),
    ),
    networks: z.record(z.string(), z.looseObject({ internal: z.boolean().optional() })).default({}),
  });
  const before = interpolated.length;
  const overlay = overlayFile.parse(unescapeDollars(parse(read('docker-compose.redis.yml'))));
  const redis = overlay.services.redis ?? expect.unreachable('no redis service');
  const signerOverlay = overlay.services.signer ?? expect.unreachable('no signer override');

  it('uses no host-environment interpolation either', () => {
    expect(interpolated.slice(before)).toEqual([]);
  });

  it('adds only a redis service and overrides only services the base file has', () => {
    expect(Object.keys(overlay.services).sort()).toEqual(['redis', 'signer']);
    expect(compose.services.redis).toBeUndefined();
  });

  it('runs a pinned Redis image with a health check, publishing no port', () => {
    expect(redis.image).toMatch(/^redis:\d+(?:\.\d+)*-alpine$/);
    expect(redis.ports ?? []).toEqual([]);
    expect(redis.healthcheck).toBeDefined();
    expect(redis.build).toBeUndefined();
  });

  it('runs several signer replicas that start once Redis is healthy, with nothing pinning one container name', () => {
    expect(signerOverlay.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(signerOverlay.depends_on).toEqual({ redis: { condition: 'service_healthy' } });
    expect(signerOverlay.container_name).toBeUndefined();
    expect(svc('signer').container_name).toBeUndefined();
  });

  it('points every signer at the redis service, with a configuration the signer accepts', () => {
    const merged = parseConfig({ ...image('signer').env, ...signerOverlay.environment });
    if (!merged.ok) expect.unreachable(JSON.stringify(merged.problems));
    expect(merged.config.REDIS_URL).toBe('redis://redis:6379');
  });

  it('keeps Redis on an internal network of its own that only the signers join', () => {
    expect(redis.networks).toEqual(['store']);
    expect(overlay.networks.store?.internal).toBe(true);
    // The signers keep the default network (nginx reaches them there) and join the store's.
    expect(signerOverlay.networks).toEqual(['default', 'store']);
    for (const name of ['nginx', 'upstream']) expect((svc(name) as { networks?: unknown }).networks, name).toBeUndefined();
  });

  it('lets nginx reach every replica through the one service name its template is given', () => {
    // A service name resolves to every replica's address; nginx turns them into upstream servers.
    expect(nginx.environment.SIGNER_ADDR).toMatch(/^signer:\d+$/);
  });
});

// --- docker-compose.sentinel.yml: several signers on a master, its replicas and three sentinels ---

describe('docker-compose.sentinel.yml, on top of docker-compose.yml', () => {
  const overlayFile = z.object({
    services: z.record(
      z.string(),
      service.extend({
        deploy: z.looseObject({ replicas: z.number().optional() }).optional(),
        user: z.string().optional(),
        read_only: z.boolean().optional(),
        cap_drop: z.array(z.string()).optional(),
        networks: z.array(z.string()).optional(),
        command: z.array(z.string()).optional(),
      }),
    ),
    networks: z.record(z.string(), z.looseObject({ internal: z.boolean().optional() })).default({}),
  });
  const before = interpolated.length;
  const overlay = overlayFile.parse(unescapeDollars(parse(read('docker-compose.sentinel.yml'))));
  const of = (name: string) => overlay.services[name] ?? expect.unreachable(`no service ${name}`);
  const sentinelNames = Object.keys(overlay.services).filter((n) => /^sentinel-\d+$/.test(n));
  const dataNames = ['redis-master', 'redis-replica'];
  const signerOverlay = of('signer');
  /** What a sentinel's command writes into its configuration file. */
  const sentinelConfig = (name: string) => of(name).command?.join(' ') ?? '';
  const merged = parseConfig({ ...image('signer').env, ...signerOverlay.environment });

  it('uses no host-environment interpolation either', () => {
    expect(interpolated.slice(before)).toEqual([]);
  });

  it('adds a master, a replica service, three sentinels, and overrides only the signer', () => {
    expect(Object.keys(overlay.services).sort()).toEqual(['redis-master', 'redis-replica', 'sentinel-1', 'sentinel-2', 'sentinel-3', 'signer']);
    for (const name of [...dataNames, ...sentinelNames]) expect(compose.services[name], name).toBeUndefined();
  });

  it.each([...dataNames, 'sentinel-1', 'sentinel-2', 'sentinel-3'])(
    'runs %s from a pinned Redis image, unprivileged, read-only, with a health check and no published port',
    (name) => {
      const s = of(name);
      expect(s.image).toMatch(/^redis:\d+(?:\.\d+)*-alpine$/);
      expect(s.build).toBeUndefined();
      expect(s.ports ?? []).toEqual([]);
      expect(s.healthcheck).toBeDefined();
      expect([s.user, s.read_only, s.cap_drop]).toEqual(['redis', true, ['ALL']]);
    },
  );

  it('runs two replicas of the master, so a failover leaves the new master one to wait for', () => {
    expect(of('redis-replica').command?.join(' ')).toMatch(/--replicaof redis-master 6379\b/);
    expect(of('redis-replica').deploy?.replicas).toBeGreaterThanOrEqual(2);
  });

  it('has every sentinel monitor the master by the name the signers ask for, with a majority quorum, on the port the signers dial', () => {
    if (!merged.ok) expect.unreachable(JSON.stringify(merged.problems));
    const { REDIS_SENTINELS: listed, REDIS_SENTINEL_MASTER: name } = merged.config;
    expect(listed?.map((n) => n.host).sort()).toEqual(sentinelNames.sort());
    expect(sentinelNames.length).toBeGreaterThanOrEqual(3);
    for (const sentinel of listed ?? []) {
      const config = sentinelConfig(sentinel.host);
      expect(config).toContain(`port ${sentinel.port}\\n`);
      const [, monitored, host, port, quorum] = /sentinel monitor (\S+) (\S+) (\d+) (\d+)/.exec(config) ?? [];
      expect([monitored, host, port]).toEqual([name, 'redis-master', '6379']);
      expect(Number(quorum)).toBeGreaterThan(sentinelNames.length / 2);
      expect(config).toMatch(/sentinel resolve-hostnames yes/);
      expect(config).toMatch(new RegExp(`sentinel down-after-milliseconds ${name} \\d+`));
    }
  });

  it('points every signer at the sentinels, never at REDIS_URL, with writes that wait for a replica', () => {
    if (!merged.ok) expect.unreachable(JSON.stringify(merged.problems));
    expect(merged.config.REDIS_URL).toBeUndefined();
    expect(replicationOf(merged.config).replicas).toBe(1);
    expect(signerOverlay.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(Object.keys(signerOverlay.depends_on).sort()).toEqual(['redis-replica', ...sentinelNames].sort());
    for (const dependency of Object.values(signerOverlay.depends_on)) expect(dependency.condition).toBe('service_healthy');
  });

  it('keeps Redis and the sentinels on an internal network of their own that only the signers join', () => {
    expect(overlay.networks.store?.internal).toBe(true);
    for (const name of [...dataNames, ...sentinelNames]) expect(of(name).networks, name).toEqual(['store']);
    expect(signerOverlay.networks).toEqual(['default', 'store']);
    for (const name of ['nginx', 'upstream']) expect((svc(name) as { networks?: unknown }).networks, name).toBeUndefined();
  });
});

describe('docker-compose.yml and the client address', () => {
  it("trusts X-Real-IP from the private ranges Docker networks use, where nginx's address lies, and from nowhere public", () => {
    const signer = parseConfig(image('signer').env);
    if (!signer.ok) expect.unreachable(JSON.stringify(signer.problems));
    const trusted = signer.config.TRUSTED_PROXIES;
    for (const dockerAddress of ['172.17.0.2', '172.18.0.5', '192.168.16.3', '10.0.1.4']) expect(trusted.contains(dockerAddress), dockerAddress).toBe(true);
    for (const publicAddress of ['8.8.8.8', '203.0.113.7']) expect(trusted.contains(publicAddress), publicAddress).toBe(false);
  });
});

// --- the Compose Specification ------------------------------------------------------------------

describe('the compose files against the Compose Specification JSON schema', () => {
  // The schema as dclint (a compose linter, devDependency) ships it. Its `$schema` names draft-07
  // by another spelling than ajv's own id, and draft-07 is ajv's default, so it is left out. The
  // spec's formats (duration, ports) are Compose's own, which ajv does not know: not checked here.
  const { $schema: _meta, ...schema } = JSON.parse(readFileSync(join(ROOT, 'node_modules/dclint/schemas/compose.schema.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const validate = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(schema);

  it.each(['docker-compose.yml', 'docker-compose.redis.yml', 'docker-compose.sentinel.yml'])('%s is a valid Compose file', (file) => {
    const valid = validate(parse(read(file)));
    expect(validate.errors ?? [], file).toEqual([]);
    expect(valid).toBe(true);
  });

  it('refuses what Compose would: a misspelt key, a port list that is not a list', () => {
    const doc = parse(read('docker-compose.yml')) as { services: Record<string, Record<string, unknown>> };
    doc.services.signer!.read_onyl = true;
    doc.services.nginx!.ports = '127.0.0.1:8080:8080';
    expect(validate(doc)).toBe(false);
    expect((validate.errors ?? []).map((e) => e.instancePath).sort()).toEqual(['/services/nginx/ports', '/services/signer']);
  });
});
