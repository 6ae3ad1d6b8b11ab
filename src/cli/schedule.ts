/** `dit schedule --respacing STR`: the respaced diffusion schedule as one JSON object. */
import { scheduleReport } from '../sampling/schedule.ts';
import { parseArgs, required } from './args.ts';

export function scheduleCommand(argv: string[]): void {
  const a = parseArgs(argv, { values: ['respacing'] });
  const report = scheduleReport(required(a, 'respacing'));
  // JSON.stringify prints the shortest string that round-trips each float64 exactly.
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
