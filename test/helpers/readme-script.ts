import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { exitOf, freePort, outputToEnd } from './process.ts';
import { waitFor } from './wait.ts';

/** One command of a README `sh` block, as a reader would type it. */
export interface ScriptCommand {
  /** The command; continuation lines joined, a here-document kept whole. */
  command: string;
  /** The reader's note after ` # `, if any. */
  comment: string;
  /** It ended in `&`: the reader leaves it running. */
  background: boolean;
}

/** The commands of an `sh` block in order: `\` continuations joined, here-documents kept with their command. */
export function scriptCommands(body: string): ScriptCommand[] {
  const lines = body.replace(/\\\n\s*/g, ' ').split('\n');
  const commands: ScriptCommand[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const [text = '', comment = ''] = line.split(/\s+#\s/, 2);
    let command = text.trim();
    const heredoc = /<<-?'?(\w+)'?/.exec(command)?.[1];
    if (heredoc) {
      const end = lines.indexOf(heredoc, i + 1);
      if (end === -1) throw new Error(`here-document ${heredoc} is not closed`);
      command = [command, ...lines.slice(i + 1, end + 1)].join('\n');
      i = end;
    }
    const background = /\s&$/.test(command);
    commands.push({ command: background ? command.replace(/\s*&$/, '') : command, comment: comment.trim(), background });
  }
  return commands;
}

/**
 * How a README block is run by a test, kept to two rules: the README's loopback ports (8080, the
 * service's default, and the upstreams' and Redis's) become ports chosen at run time, and `/tmp/`
 * becomes a temp directory. A service started without `PORT` gets its port through the environment.
 */
export interface Substitutions {
  ports: Map<number, number>;
  tmp: string;
}

export async function substitutions(ports: number[], tmp: string, fixed: Record<number, number> = {}): Promise<Substitutions> {
  const map = new Map<number, number>();
  for (const port of ports) map.set(port, fixed[port] ?? (await freePortBesides([...map.values(), ...Object.values(fixed)])));
  return { ports: map, tmp };
}

/**
 * A free port none of `taken`: each probe's port is free again once it closes, so two probes can
 * name the same one, and a README example's service would then lose its port to its own upstream.
 */
async function freePortBesides(taken: number[]): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freePort();
    if (!taken.includes(port)) return port;
  }
  throw new Error(`no free port besides ${taken.join(', ')} in 20 tries`);
}

export function substitute(command: string, { ports, tmp }: Substitutions): string {
  let out = command.replaceAll('/tmp/', `${tmp}/`);
  for (const [from, to] of ports) out = out.replace(new RegExp(`\\b${from}\\b`, 'g'), String(to));
  return out;
}

export interface Ran {
  command: string;
  comment: string;
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  command: string;
  child: ChildProcess;
  output: () => string;
}

/** A block being run: what its commands printed, and the servers it left running. */
export class ScriptRun {
  readonly ran: Ran[] = [];
  readonly running: Running[] = [];

  constructor(
    private readonly cwd: string,
    private readonly subs: Substitutions,
    private readonly env: Record<string, string> = {},
  ) {}

  /** The port the README's `port` stands for in this run. */
  port(port: number): number {
    const mapped = this.subs.ports.get(port);
    if (mapped === undefined) throw new Error(`port ${port} is not substituted`);
    return mapped;
  }

  private spawn(command: string): ChildProcess {
    // PORT: the README's default port 8080, for a service started without one.
    const env = { PATH: readerPath(), HOME: process.env.HOME ?? '', PORT: String(this.port(8080)), ...this.env };
    return spawn('bash', ['-c', command], { cwd: this.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /**
   * Runs the commands in order. One that starts the service (`npm start`) or ends in `&` is left
   * running, and the next command waits for it to answer: the service's /healthz, another
   * server's TCP port. In `a && npm start`, `a` runs first on its own so the signal reaches npm.
   */
  async run(commands: ScriptCommand[]): Promise<this> {
    for (const { command: readme, comment, background } of commands) {
      const command = substitute(readme, this.subs);
      const server = /\bnpm start$/.exec(command);
      if (!background && !server) {
        this.ran.push({ command: readme, comment, ...(await this.foreground(command)) });
        continue;
      }
      const [before, last] = splitLast(command);
      if (before) {
        const first = await this.foreground(before);
        if (first.status !== 0) throw new Error(`${before} failed: ${first.stderr}`);
      }
      // A simple command run by `bash -c` is exec'd: the child's PID is the server's (or npm's).
      const child = this.spawn(last);
      let output = '';
      child.stdout!.on('data', (chunk) => (output += chunk));
      child.stderr!.on('data', (chunk) => (output += chunk));
      this.running.push({ command: readme, child, output: () => output });
      const exited = () => child.exitCode !== null || child.signalCode !== null;
      const readmePort = [...this.subs.ports.keys()].find((port) => new RegExp(`\\b${port}\\b`).test(readme));
      const port = server ? Number(/\bPORT=(\d+)/.exec(last)?.[1] ?? this.port(8080)) : this.port(readmePort ?? NaN);
      await waitFor(
        `${readme} to answer`,
        async () => {
          if (exited()) throw new Error(`${readme} exited: ${output}`);
          return server
            ? (await fetch(`http://127.0.0.1:${port}/healthz`).then(
                (res) => res.status,
                () => 0,
              )) === 200
            : await accepts(port);
        },
        120_000,
        200,
      );
    }
    return this;
  }

  /** Runs one command (substituted) to its end. */
  async once(readme: string): Promise<Ran> {
    return { command: readme, comment: '', ...(await this.foreground(substitute(readme, this.subs))) };
  }

  private foreground(command: string): Promise<Omit<Ran, 'command' | 'comment'>> {
    return outputToEnd(this.spawn(command));
  }

  /** Stops what the block left running, last first, by PID with SIGTERM: each one's exit code. */
  async stop(): Promise<Array<{ command: string; code: number | null; signal: NodeJS.Signals | null }>> {
    const stopped = [];
    for (const { command, child } of [...this.running].reverse()) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exitOf(child, 30_000);
      stopped.push({ command, code, signal: child.signalCode });
    }
    this.running.length = 0;
    return stopped;
  }
}

/**
 * The PATH of the shell that started the tests, without the node_modules/.bin directories npm put
 * first: a reader's shell has none. With this tree's Node first on PATH, `npm` itself would run on
 * it, whose install prefix has no copy of the machine's global npmrc (its registry CA file here).
 */
export function readerPath(): string {
  return (process.env.PATH ?? '')
    .split(':')
    .filter((dir) => !dir.endsWith('/node_modules/.bin'))
    .join(':');
}

/** `a && b` as [`a`, `b`]; a command without `&&` as ['', command]. */
function splitLast(command: string): [string, string] {
  const at = command.lastIndexOf(' && ');
  return at === -1 ? ['', command] : [command.slice(0, at), command.slice(at + 4)];
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(true));
    socket.once('error', () => resolve(false));
    socket.once('connect', () => socket.end());
  });
}

/**
 * Checks `curl -i` output against the note beside it: a leading HTTP status (`# 200, ...`), any
 * `Header: value` pairs, `an Age header` (present), and a `{"code":N...}` body (compared whole when the note's JSON is whole).
 * Returns what differs.
 */
export function curlDifferences(comment: string, stdout: string): string[] {
  const [head = '', body = ''] = stdout.split(/\r\n\r\n/, 2);
  const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(head)?.[1]);
  const problems: string[] = [];
  const shownStatus = /^(\d{3})\b/.exec(comment)?.[1];
  if (shownStatus && Number(shownStatus) !== status) problems.push(`status ${status}, the README shows ${shownStatus}`);
  for (const [, name, value] of comment.matchAll(/\b([A-Z][\w-]*): (\S+?)(?=[,\s]|$)/g)) {
    const real = new RegExp(`^${name}: (.*)$`, 'im').exec(head)?.[1]?.trim();
    if (real !== value) problems.push(`${name}: ${real}, the README shows ${value}`);
  }
  for (const [, name] of comment.matchAll(/\ban? ([A-Z][\w-]*) header\b/g)) {
    if (!new RegExp(`^${name}: `, 'im').test(head)) problems.push(`no ${name} header, the README shows one`);
  }
  const json = /(\{.*\})\s*$/.exec(comment)?.[1];
  if (json) {
    const code = Number(/\{"code":(\d+)/.exec(json)?.[1]);
    let answer: unknown;
    try {
      answer = JSON.parse(body);
    } catch {
      problems.push(`no JSON body: ${body}`);
    }
    if ((answer as { code?: unknown } | undefined)?.code !== code) problems.push(`body ${body}, the README shows code ${code}`);
    try {
      if (JSON.stringify(JSON.parse(json)) !== JSON.stringify(answer)) problems.push(`body ${body}, the README shows ${json}`);
    } catch {
      // An abridged body (`{"code":400,...}`): its code is what is compared.
    }
  }
  return problems;
}
