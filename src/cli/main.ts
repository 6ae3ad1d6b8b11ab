/** The `dit` command line: a thin host over the same engine worker the app uses. */
import { join } from 'node:path';
import { BrowserHost } from '../host/browser-host.ts';
import { defaultCacheDir } from '../weights/node-store.ts';
import { UsageError } from './args.ts';
import { COMMAND_HELP, USAGE } from './help.ts';
import { decodeCommand } from './decode.ts';
import { forwardCommand } from './forward.ts';
import { generateCommand } from './generate.ts';
import { sampleCommand } from './sample.ts';
import { scheduleCommand } from './schedule.ts';

function hostStarter(argv: string[]): () => Promise<BrowserHost> {
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  // One Chromium profile kept in the cache directory: the autotune's choices and the compiled
  // shaders of one run serve the next.
  const profileDir = join(value('--cache-dir') ?? defaultCacheDir(), 'chromium-profile');
  return () => BrowserHost.start({ chromium: value('--chromium'), verbose: argv.includes('--verbose'), profileDir });
}

export async function main(argv: string[]): Promise<number> {
  // A reader that stops early (`dit schedule | head`) closes the pipe: that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const [command, ...rest] = argv;
  if (command !== undefined && COMMAND_HELP[command] && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(`${COMMAND_HELP[command]}\n`);
    return 0;
  }
  try {
    switch (command) {
      case 'forward':
        await forwardCommand(rest, hostStarter(rest));
        return 0;
      case 'sample':
        await sampleCommand(rest, hostStarter(rest));
        return 0;
      case 'generate':
        await generateCommand(rest, hostStarter(rest), (s) => process.stdout.write(s));
        return 0;
      case 'schedule':
        scheduleCommand(rest);
        return 0;
      case 'decode':
        await decodeCommand(rest, hostStarter(rest));
        return 0;
      case undefined:
      case '--help':
      case 'help':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    // One line, whatever failed (a usage error carries the hint on the same line).
    const hint = e instanceof UsageError ? ' (run `dit --help` for usage)' : '';
    process.stderr.write(`dit ${command ?? ''}: ${msg.split('\n')[0]}${hint}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}
