/** `dit --help` and `dit <command> --help`, through the real command line (no browser starts). */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

describe('dit --help', () => {
  const commands: [string, string][] = [['forward', '--inputs'], ['sample', '--respacing'], ['schedule', '--respacing'], ['decode', '--tile'], ['generate', '--list-classes']];
  for (const [command, option] of commands) {
    it(`dit ${command} --help prints that command's options and exits 0`, async () => {
      const r = await runCli([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`usage: dit ${command}`);
      expect(r.stdout).toContain(option);
    }, 30_000);
  }

  it('dit --help lists the commands', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const [command] of commands) expect(r.stdout).toContain(command);
  }, 30_000);
});
