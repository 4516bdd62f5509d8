/**
 * A progress bar on stderr, only when it is a terminal (cli-progress). cli-progress turns line wrapping off
 * while it draws; `stop` turns it back on, and is also called on a forced exit so the terminal is left as found.
 */
import { SingleBar } from 'cli-progress';

export class StepBar {
  private bar: SingleBar | null = null;
  private running = false;

  constructor(private readonly enabled: boolean) {}

  start(total: number, value: number, label: string): void {
    if (!this.enabled) return;
    this.bar ??= new SingleBar({
      format: '{label} [{bar}] {value}/{total} steps | {eta_formatted} left',
      clearOnComplete: true,
      stream: process.stderr,
      gracefulExit: false,
    });
    this.bar.start(total, value, { label });
    this.running = true;
  }

  update(value: number): void {
    if (this.running) this.bar?.update(value);
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.bar?.stop();
  }
}
